# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AutoregWebService(models.Model):
    """A service customers can order or book on the website."""

    _name = "autoreg.web.service"
    _description = "Website Service"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        selection=[("order", "Order"), ("appointment", "Appointment")],
        default="appointment",
        required=True,
        help="Appointments get a tentative calendar event for the assignee.",
    )
    duration = fields.Float(
        string="Duration (hours)", default=1.0, help="Length of the appointment."
    )
    category_id = fields.Many2one(
        comodel_name="helpdesk.ticket.category",
        string="Request category",
        help="Category of the requests of this service.",
    )
    company_id = fields.Many2one(comodel_name="res.company", default=lambda self: self.env.company)
