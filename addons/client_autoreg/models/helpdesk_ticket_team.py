# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    autoreg_registered_action_id = fields.Many2one(
        comodel_name="ir.actions.server",
        string="On request registered",
        domain=[("model_id.model", "=", "helpdesk.ticket")],
        help="Server action run on the request each time intake registers a "
        "message for this team (a new request or a message added to an open "
        "one). Assignment and notification are plugged in here.",
    )
