# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.tools import LazyTranslate, html2plaintext

from ..tools.stored_text import to_json, to_text

_lt = LazyTranslate(__name__)

# The fields that decide whether a request counts as open for its assignee.
LOAD_FIELDS = {"team_id", "user_id", "stage_id", "active"}


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    # Intake looks up the customer's open requests for every message.
    partner_id = fields.Many2one(index="btree_not_null")
    autoreg_inbound_ids = fields.One2many(
        comodel_name="autoreg.inbound",
        inverse_name="ticket_id",
        string="Inbound messages",
        readonly=True,
    )
    autoreg_inbound_count = fields.Integer(
        compute="_compute_autoreg_inbound_count", string="Inbound count"
    )
    autoreg_assignment_reason_data = fields.Json(
        readonly=True, copy=False,
        help="Why the assignee got the request, as its English source text and arguments.",
    )
    autoreg_assignment_reason = fields.Char(
        string="Why assigned", compute="_compute_autoreg_assignment_reason",
        inverse="_inverse_autoreg_assignment_reason", readonly=True,
        help="Why the automatic assignment chose the assignee.",
    )
    autoreg_activity_id = fields.Many2one(
        comodel_name="mail.activity",
        string="Assignment activity",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The activity intake gave the assignee for this request: marked "
        "done when someone gives the request to somebody else.",
    )
    autoreg_to_dispatch = fields.Boolean(
        string="To dispatch", readonly=True, copy=False, index=True,
        help="Waits for the team's dispatcher to give it to a member.",
    )
    autoreg_telegram_chat_id = fields.Many2one(
        comodel_name="autoreg.telegram.chat",
        string="Telegram chat",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The chat the customer wrote from: replies to the customer are sent there.",
    )
    autoreg_telegram_message_ids = fields.One2many(
        comodel_name="autoreg.telegram.message",
        inverse_name="ticket_id",
        string="Telegram messages",
        readonly=True,
    )
    autoreg_telegram_undelivered = fields.Integer(
        compute="_compute_autoreg_telegram_undelivered",
        string="Telegram messages not delivered",
    )

    @api.depends("autoreg_assignment_reason_data")
    @api.depends_context("lang")
    def _compute_autoreg_assignment_reason(self):
        for ticket in self:
            ticket.autoreg_assignment_reason = to_text(
                ticket.autoreg_assignment_reason_data, self.env.lang
            )

    def _inverse_autoreg_assignment_reason(self):
        for ticket in self:
            ticket.autoreg_assignment_reason_data = to_json(ticket.autoreg_assignment_reason)

    @api.depends("autoreg_inbound_ids")
    def _compute_autoreg_inbound_count(self):
        for ticket in self:
            ticket.autoreg_inbound_count = len(ticket.autoreg_inbound_ids)

    def _compute_autoreg_telegram_undelivered(self):
        # sudo: every agent of the request sees how many replies did not
        # reach the customer (failed, or waiting behind one that failed);
        # the queue itself is for intake managers.
        unsent = self.env["autoreg.telegram.message"].sudo().search(
            [("ticket_id", "in", self.ids), ("state", "in", ("pending", "error", "failed"))]
        )
        undelivered = unsent.filtered(lambda msg: msg.state != "pending") | unsent._waiting()
        for ticket in self:
            ticket.autoreg_telegram_undelivered = len(
                undelivered.filtered(lambda msg, ticket=ticket: msg.ticket_id == ticket)
            )

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        # Staff replies on a request that came from Telegram go back to the chat.
        self.env["autoreg.door.telegram"]._relay_reply(self, message)
        return result

    @api.model
    def _autoreg_open_ticket_of(self, partner, company, domain=()):
        """The customer's most recent request that is still open in
        ``company``: a contact shared by two companies has separate requests
        (and replies leave through that company's own doors)."""
        if not partner:
            return self.browse()
        return self.search(
            [("partner_id", "=", partner.id), ("stage_id.closed", "=", False),
             ("company_id", "=", company.id), *domain],
            order="id desc",
            limit=1,
        )

    def _autoreg_other_open_ticket_with_owner(self):
        """The customer's most recent other open request that has an assignee."""
        self.ensure_one()
        return self._autoreg_open_ticket_of(
            self.partner_id, self.company_id, [("id", "!=", self.id), ("user_id", "!=", False)]
        )

    def _autoreg_assign(self):
        """Assign each unassigned request by its team's policy, and notify.

        Run by the "Customer Intake: assign and notify" server action.
        """
        for ticket in self.filtered(lambda rec: not rec.user_id and rec.team_id):
            user, reason, to_dispatch = ticket.team_id._autoreg_pick_assignee(ticket)
            if not user:
                ticket.message_post(body=self.env._(reason), subtype_xmlid="mail.mt_note")
                continue
            # Odoo's own "You have been assigned" mail is replaced by the
            # note below, which tells the assignee why.
            ticket.with_context(autoreg_assigning=True, mail_auto_subscribe_no_notify=True).write(
                {
                    "user_id": user.id,
                    "autoreg_assignment_reason_data": to_json(reason),
                    "autoreg_to_dispatch": to_dispatch,
                }
            )
            ticket._autoreg_explain_assignment(user, reason)
            ticket._autoreg_notify_assignee(user)
        return True

    def _autoreg_explain_assignment(self, user, reason):
        """One note in the chatter says who got the request and why; it is
        addressed to the assignee, who gets it as Odoo notifies them (mail
        or inbox), with the button that opens the request. The mail goes
        through the mail queue, woken at once: the mails of many requests
        leave in one batch."""
        self.ensure_one()
        self.with_context(mail_notify_force_send=False).message_post(
            body=_("Assigned to %(user)s. %(reason)s", user=user.name, reason=reason),
            subtype_xmlid="mail.mt_note",
            partner_ids=user.partner_id.ids,
        )
        if user.notification_type == "email":
            self.env["mail.mail"]._autoreg_send_soon()

    def _autoreg_notify_new_assignee(self):
        """Run by the automation rule when someone sets the assignee by hand;
        the automatic assignment notifies by itself."""
        if self.env.context.get("autoreg_assigning"):
            return
        for ticket in self.filtered("user_id"):
            if ticket.user_id != self.env.user:
                ticket._autoreg_notify_assignee(ticket.user_id)

    def _autoreg_notify_assignee(self, user):
        """An activity on the request and a pop-up in the assignee's backend.

        The assignee is already told by mail or inbox (Odoo's "You have
        been assigned" when set by hand, the note of ``_autoreg_assign``
        otherwise): the activity sends no second mail.
        """
        self.ensure_one()
        deadline = fields.Date.context_today(self) + timedelta(
            days=max(self.team_id.autoreg_activity_days, 0)
        )
        activity = self.with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=deadline,
            user_id=user.id,
            summary=_("New request %(number)s", number=self.number),
        )
        # sudo: intake's own bookkeeping, whoever set the assignee.
        self.sudo().autoreg_activity_id = activity
        if activity.date_deadline > fields.Date.today():
            # Due today where the assignee is, but tomorrow in UTC: Odoo
            # tells the activity menu only of what is due by the UTC date.
            user._bus_send("mail.activity/updated", {"activity_created": True})
        assignee_env = self.with_context(lang=user.lang).env  # in the assignee's language
        # A pop-up that stays until the assignee closes it, with a button
        # that opens the request (static/src/js/new_request_notification.js).
        user._bus_send(
            "client_autoreg/new_request",
            {
                "ticket_id": self.id,
                "title": assignee_env._("New request %(number)s", number=self.number),
                "message": assignee_env._("%(name)s, from %(customer)s",
                                          name=self.name, customer=self.partner_id.name or "?"),
            },
        )

    def _autoreg_reassigned_by_hand(self, user_id):
        """Someone gives the requests to ``user_id`` (or to nobody): the
        former assignee's intake activity is done, and the automatic
        assignment's reason no longer explains the assignee.

        :return: the values to write with the new assignee
        """
        activities = self.autoreg_activity_id.filtered(lambda act: act.user_id.id != user_id)
        # sudo: whoever may reassign the request closes the former assignee's
        # reminder about it (the write of the assignee checks their rights).
        activities.sudo().action_feedback(feedback=_("Reassigned"))
        reason = user_id and _lt("Assigned by hand by %(user)s", user=self.env.user.name)
        return {"autoreg_assignment_reason_data": to_json(reason), "autoreg_activity_id": False}

    # ------------------------------------------------------------------
    # Open requests per member, for the least busy policy
    # ------------------------------------------------------------------

    def _autoreg_load_keys(self):
        """``(team_id, user_id)`` of each open, assigned request, else None."""
        return [
            (ticket.team_id.id, ticket.user_id.id)
            if ticket.active and ticket.team_id and ticket.user_id and not ticket.stage_id.closed
            else None
            for ticket in self
        ]

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        load = self.env["autoreg.assignee.load"]
        load._add(load._deltas([], tickets._autoreg_load_keys()))
        return tickets

    def write(self, vals):
        if "user_id" in vals and not self.env.context.get("autoreg_assigning"):
            # A person distributed the request by hand: it is no longer waiting.
            vals = dict(vals, autoreg_to_dispatch=False)
            user_id = vals["user_id"]
            user_id = (user_id.id if isinstance(user_id, models.BaseModel) else user_id) or False
            reassigned = self.filtered(lambda ticket: ticket.user_id.id != user_id)
            if reassigned and reassigned != self:
                return (self - reassigned).write(vals) and reassigned.write(vals)
            if reassigned:
                vals.update(self._autoreg_reassigned_by_hand(user_id))
        if not LOAD_FIELDS.intersection(vals):
            return super().write(vals)
        before = self._autoreg_load_keys()
        result = super().write(vals)
        load = self.env["autoreg.assignee.load"]
        load._add(load._deltas(before, self._autoreg_load_keys()))
        return result

    def unlink(self):
        before = self._autoreg_load_keys()
        result = super().unlink()
        load = self.env["autoreg.assignee.load"]
        load._add(load._deltas(before, []))
        return result

    @api.model
    def _autoreg_register(self, inbound, team):
        """Turn ``inbound`` into a request: a new ticket, or a message added
        to the customer's open ticket when the channel asks for it.

        :return: ``(ticket, created)``
        """
        ticket = self.browse()
        if inbound.channel_id.autoreg_thread_policy == "open_ticket":
            ticket = self._autoreg_open_ticket_of(inbound.partner_id, inbound.company_id)
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
            "description": inbound.body or Markup("<p>%s</p>") % (inbound.subject or ""),
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
