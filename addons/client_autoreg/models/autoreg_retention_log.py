# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AutoregRetentionLog(models.Model):
    """Proof that the retention job ran: what it did, never on what data."""

    _name = "autoreg.retention.log"
    _description = "Intake Retention Log"
    _order = "id desc"

    category = fields.Selection(
        selection=[
            ("registered_payload", "Raw messages registered or passed on"),
            ("spam", "Spam and ignored messages"),
            ("review", "Messages never reviewed"),
            ("telegram_message", "Telegram messages sent"),
            ("consent", "Consents refused or never confirmed"),
            ("duplicate", "Likely duplicates merged or dismissed"),
        ],
        required=True, readonly=True,
    )
    count = fields.Integer(readonly=True)
    cutoff = fields.Datetime(
        string="Older than", readonly=True, help="Records older than this date were purged."
    )
