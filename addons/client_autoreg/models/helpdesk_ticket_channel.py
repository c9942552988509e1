# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class HelpdeskTicketChannel(models.Model):
    """A helpdesk channel is also an intake door with its own policy."""

    _inherit = "helpdesk.ticket.channel"

    autoreg_thread_policy = fields.Selection(
        selection=[
            ("new", "Always a new request"),
            ("open_ticket", "Add to the customer's open request"),
        ],
        string="Requests",
        default="new",
        required=True,
        help="Whether a message from a customer who already has an open "
        "request is added to that request or opens a new one.",
    )
    autoreg_team_id = fields.Many2one(
        comodel_name="helpdesk.ticket.team",
        string="Intake team",
        check_company=True,
        help="Team that receives the requests of this channel. When empty, the "
        "first active team of the company is used.",
    )
    autoreg_mailing_list_ids = fields.Many2many(
        comodel_name="mailing.list",
        string="Newsletter lists",
        help="Contacts who agree to receive news through this channel (website "
        "checkbox, Telegram /subscribe, an email saying SUBSCRIBE) join these lists.",
    )
    autoreg_inbound_count = fields.Integer(
        compute="_compute_autoreg_inbound_count", string="Inbound messages"
    )

    def _compute_autoreg_inbound_count(self):
        counts = dict(
            self.env["autoreg.inbound"]._read_group(
                [("channel_id", "in", self.ids)], ["channel_id"], ["__count"]
            )
        )
        for channel in self:
            channel.autoreg_inbound_count = counts.get(channel, 0)

    def _autoreg_intake_team(self, company):
        """The team that receives this channel's requests for ``company``."""
        self.ensure_one()
        if self.autoreg_team_id.active:
            return self.autoreg_team_id
        return self.env["helpdesk.ticket.team"].search(
            [("company_id", "in", [company.id, False])], limit=1
        )
