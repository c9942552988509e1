# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    autoreg_double_optin = fields.Boolean(
        string="Newsletter double opt-in",
        help="Newsletter consents collected by intake are confirmed by email "
        "before the contact joins the list.",
    )
