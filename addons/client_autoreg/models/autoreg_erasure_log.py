# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AutoregErasureLog(models.Model):
    """Proof that an erasure or a block ran: who, when, how, how many
    records per model; never the erased data."""

    _name = "autoreg.erasure.log"
    _description = "Erasure Log"
    _order = "id desc"
    _rec_name = "subject_ref"

    erasure_id = fields.Many2one(
        comodel_name="autoreg.erasure", string="Case", readonly=True, ondelete="set null"
    )
    subject_ref = fields.Char(string="Person", readonly=True)
    mode = fields.Selection(
        selection=[("block", "Blocked"), ("erase", "Erased"), ("refused", "Refused")],
        required=True, readonly=True,
    )
    origin = fields.Selection(
        selection=[("staff", "Staff"), ("portal", "Customer, from the portal")], readonly=True
    )
    user_id = fields.Many2one(comodel_name="res.users", string="Done by", readonly=True)
    counts = fields.Text(
        string="Records per model", readonly=True,
        help="How many records of each model were found, one model a line.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company", readonly=True, default=lambda self: self.env.company
    )
