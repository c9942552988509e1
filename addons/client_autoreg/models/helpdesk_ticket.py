# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import html2plaintext


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    autoreg_inbound_ids = fields.One2many(
        comodel_name="autoreg.inbound",
        inverse_name="ticket_id",
        string="Inbound messages",
        readonly=True,
    )
    autoreg_inbound_count = fields.Integer(
        compute="_compute_autoreg_inbound_count", string="Inbound count"
    )

    @api.depends("autoreg_inbound_ids")
    def _compute_autoreg_inbound_count(self):
        for ticket in self:
            ticket.autoreg_inbound_count = len(ticket.autoreg_inbound_ids)

    @api.model
    def _autoreg_open_ticket_of(self, partner):
        """The customer's most recent request that is still open."""
        return self.search(
            [
                ("partner_id", "=", partner.id),
                ("stage_id.closed", "=", False),
            ],
            order="id desc",
            limit=1,
        )

    @api.model
    def _autoreg_register(self, inbound, team):
        """Turn ``inbound`` into a request: a new ticket, or a message added
        to the customer's open ticket when the channel asks for it.

        :return: ``(ticket, created)``
        """
        ticket = self.browse()
        if inbound.channel_id.autoreg_thread_policy == "open_ticket":
            ticket = self._autoreg_open_ticket_of(inbound.partner_id)
        if ticket:
            ticket._autoreg_post_inbound(inbound)
            return ticket, False
        ticket = self.create(self._autoreg_ticket_values(inbound, team))
        inbound.attachment_ids.copy({"res_model": self._name, "res_id": ticket.id})
        return ticket, True

    @api.model
    def _autoreg_ticket_values(self, inbound, team):
        partner = inbound.partner_id
        return {
            "name": inbound.subject
            or self.env._("Request from %(name)s", name=partner.name),
            "description": inbound.body or Markup("<p>%s</p>") % inbound.subject,
            "partner_id": partner.id,
            "partner_name": partner.name,
            "partner_email": partner.email,
            "channel_id": inbound.channel_id.id,
            "team_id": team.id,
            "company_id": inbound.company_id.id,
            # Intake runs as a technical user, who must not become the
            # assignee by default: assignment is the team action's job.
            "user_id": False,
        }

    def _autoreg_post_inbound(self, inbound):
        self.ensure_one()
        attachments = inbound.attachment_ids.copy(
            {"res_model": self._name, "res_id": self.id}
        )
        body = inbound.body
        if not html2plaintext(body or "").strip():
            body = Markup("<p>%s</p>") % (inbound.subject or "")
        self.message_post(
            body=body,
            author_id=inbound.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachment_ids=attachments.ids,
        )

    def _autoreg_after_register(self, inbound, created):
        """Extension point run once per registered message.

        Runs the team's "On request registered" server action, where
        assignment and notification are wired; modules may extend it too.
        """
        self.ensure_one()
        action = self.team_id.autoreg_registered_action_id
        if action:
            action.with_context(
                active_model=self._name,
                active_id=self.id,
                active_ids=self.ids,
                autoreg_inbound_id=inbound.id,
                autoreg_ticket_created=created,
            ).run()
