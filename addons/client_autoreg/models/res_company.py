# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    autoreg_double_optin = fields.Boolean(
        string="Newsletter double opt-in",
        help="Newsletter consents collected by intake are confirmed by email "
        "before the contact joins the list.",
    )
    autoreg_privacy_notice_url = fields.Char(
        string="Privacy notice URL", translate=True,
        help="The page of your privacy notice, per language: the website forms and "
        "the Telegram bot link to it.",
    )

    def _autoreg_privacy_notice_url(self):
        """The notice's address in the context's language (or the default one)."""
        self.ensure_one()
        return self.sudo().autoreg_privacy_notice_url or ""
