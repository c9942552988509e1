# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class HelpdeskTicketStage(models.Model):
    _inherit = "helpdesk.ticket.stage"

    def write(self, vals):
        result = super().write(vals)
        if "closed" in vals:
            self.env["autoreg.assignee.load"]._recount()
        return result
