# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    autoreg_unavailable = fields.Boolean(
        string="Unavailable for new requests",
        help="Skipped by the helpdesk teams' automatic assignment (leave, "
        "training...), also for the customers they already serve.",
    )

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + ["autoreg_unavailable"]

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["autoreg_unavailable"]
