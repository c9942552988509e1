# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The intake corridor shared by every channel.

A channel ("door") only translates its protocol into ``_intake()``:
the raw payload is stored first, under an idempotency key, then the message
goes through the same steps whatever its origin: resolve the sender to a
contact, register the request, run the team's "registered" action.
"""

import logging
import textwrap

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import html2plaintext

_logger = logging.getLogger(__name__)

STATES = [
    ("received", "Received"),
    ("review", "To Review"),
    ("done", "Registered"),
    ("spam", "Spam"),
    ("ignored", "Ignored"),
    ("error", "Error"),
]
RETRYABLE_STATES = ("received", "error")


class AutoregInbound(models.Model):
    _name = "autoreg.inbound"
    _description = "Inbound Message"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(string="Summary", readonly=True)
    channel_id = fields.Many2one(
        comodel_name="helpdesk.ticket.channel",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
    )
    idempotency_key = fields.Char(
        required=True,
        readonly=True,
        help="Identifies the message within its channel (Message-Id, Telegram "
        "update_id, form submission token): the same key is registered once.",
    )
    payload = fields.Text(
        string="Raw payload",
        readonly=True,
        help="The message exactly as the channel delivered it.",
    )
    sender_name = fields.Char(readonly=True)
    sender_email = fields.Char(readonly=True)
    sender_phone = fields.Char(readonly=True)
    sender_country_id = fields.Many2one(
        comodel_name="res.country", string="Sender country", readonly=True
    )
    external_ref = fields.Char(
        string="External reference",
        readonly=True,
        help="Identifier of the conversation in the channel (Telegram chat...).",
    )
    subject = fields.Char(readonly=True)
    body = fields.Html(readonly=True, sanitize_style=True)
    attachment_ids = fields.One2many(
        comodel_name="ir.attachment",
        inverse_name="res_id",
        domain=[("res_model", "=", "autoreg.inbound")],
        string="Attachments",
        readonly=True,
    )
    state = fields.Selection(
        selection=STATES, default="received", required=True, readonly=True, index=True
    )
    error_message = fields.Text(readonly=True)
    filter_reason = fields.Char(
        readonly=True, help="Why the message was held for review, filed as spam or ignored."
    )
    sender_untrusted = fields.Boolean(
        readonly=True,
        help="The sender's identity could not be verified (for mail: failed SPF "
        "or DKIM): the message is never matched to a contact automatically.",
    )
    attempt_count = fields.Integer(readonly=True)
    processed_date = fields.Datetime(readonly=True)
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Contact", readonly=True, index="btree_not_null"
    )
    ticket_id = fields.Many2one(
        comodel_name="helpdesk.ticket",
        string="Request",
        readonly=True,
        index="btree_not_null",
    )
    team_id = fields.Many2one(
        comodel_name="helpdesk.ticket.team", string="Team", readonly=True
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
        index=True,
    )
    # Figures of the intake dashboard (averaged in graph and pivot views)
    review_decision = fields.Selection(
        selection=[("approved", "Approved"), ("rejected", "Rejected as spam")], readonly=True
    )
    spam_rate = fields.Float(
        string="Spam (%)", compute="_compute_rates", store=True, aggregator="avg"
    )
    approval_rate = fields.Float(
        string="Approved in review (%)", compute="_compute_rates", store=True, aggregator="avg",
        help="Of the reviewed messages, the share approved (see Review Outcomes; "
        "messages never reviewed count as 0).",
    )
    assignment_minutes = fields.Float(
        string="Minutes to assignment", readonly=True, aggregator="avg",
        help="From the message's arrival to its request's assignment.",
    )

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "UNIQUE(channel_id, idempotency_key)",
            "This message was already received on this channel.",
        ),
    ]

    @api.depends("state", "review_decision")
    def _compute_rates(self):
        for inbound in self:
            inbound.spam_rate = 100.0 if inbound.state == "spam" else 0.0
            inbound.approval_rate = 100.0 if inbound.review_decision == "approved" else 0.0

    # ------------------------------------------------------------------
    # Receiving: the first thing a door does
    # ------------------------------------------------------------------

    @api.model
    def _intake(self, channel, key, values):
        """Receive a message and process it if it is new.

        This is the single entry point of every channel. It must be called
        with rights to create contacts and tickets (doors call it as sudo).
        """
        inbound, created = self._receive(channel, key, values)
        if created:
            inbound._process()
        return inbound

    @api.model
    def _receive(self, channel, key, values):
        """Store the raw message under its idempotency key.

        :param channel: ``helpdesk.ticket.channel`` the message came through
        :param key: Message-Id, update_id, submission token...
        :param values: field values, plus ``attachments``: a list of dicts
            with ``name``, ``raw`` and optionally ``mimetype``
        :return: ``(inbound, created)``; ``created`` is False for a replay
        """
        if not key:
            raise UserError(_("An inbound message needs an idempotency key."))
        self.env["autoreg.lock"]._acquire(f"inbound:{channel.id}:{key}")
        existing = self.search(
            [("channel_id", "=", channel.id), ("idempotency_key", "=", key)], limit=1
        )
        if existing:
            _logger.info("Inbound %s on channel %s already received", key, channel.id)
            return existing, False
        values = dict(values)
        attachments = values.pop("attachments", None) or []
        inbound = self.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        ).create(
            {
                **values,
                "channel_id": channel.id,
                "idempotency_key": key,
                "company_id": values.get("company_id")
                or channel.company_id.id
                or self.env.company.id,
                "name": self._summarize(values),
            }
        )
        inbound._store_attachments(attachments)
        return inbound, True

    @api.model
    def _summarize(self, values):
        text = values.get("subject") or html2plaintext(values.get("body") or "")
        return textwrap.shorten(text, 80, placeholder="…") or _("(no content)")

    def _store_attachments(self, attachments):
        self.ensure_one()
        self.env["ir.attachment"].create(
            [
                {
                    "name": attachment["name"],
                    "raw": attachment["raw"],
                    "mimetype": attachment.get("mimetype"),
                    "res_model": self._name,
                    "res_id": self.id,
                }
                for attachment in attachments
            ]
        )

    # ------------------------------------------------------------------
    # Processing: the shared corridor
    # ------------------------------------------------------------------

    def _process(self):
        """Run each message through the corridor; a failing message is left
        in the error state with its reason instead of failing its caller.

        Concurrency errors are re-raised: the caller's transaction is then
        retried as a whole by Odoo, and the message processed again.
        """
        for inbound in self.filtered(lambda rec: rec.state in RETRYABLE_STATES):
            # One transaction processes a message at a time; another one
            # waiting here fails to serialize and is retried, then sees it done.
            self.env.cr.execute(
                "SELECT id FROM autoreg_inbound WHERE id = %s FOR NO KEY UPDATE", (inbound.id,)
            )
            attempts = inbound.attempt_count + 1
            try:
                with self.env.cr.savepoint():
                    inbound.attempt_count = attempts
                    inbound._process_one()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except Exception as error:  # noqa: BLE001 - kept on the record
                _logger.warning(
                    "Inbound message %s (channel %s) failed: %s",
                    inbound.id,
                    inbound.channel_id.name,
                    type(error).__name__,
                    exc_info=not isinstance(error, UserError),
                )
                inbound.write(
                    {
                        "state": "error",
                        "error_message": self._describe_error(error),
                        "attempt_count": attempts,
                    }
                )
        return True

    def _process_one(self):
        self.ensure_one()
        team = self._intake_team()
        partner = self._resolve_sender(team)
        if not partner:
            return
        if not team:
            raise UserError(
                _(
                    "No active helpdesk team receives the requests of channel "
                    "%(channel)s. Choose an intake team on the channel, then "
                    "retry.",
                    channel=self.channel_id.name,
                )
            )
        self.write({"partner_id": partner.id, "team_id": team.id})
        ticket, created = self._register_request(team)
        self.write(
            {
                "ticket_id": ticket.id,
                "state": "done",
                "error_message": False,
                "processed_date": fields.Datetime.now(),
            }
        )
        ticket._autoreg_after_register(self, created)
        if ticket.user_id and not self.assignment_minutes:
            waited = fields.Datetime.now() - self.create_date
            self.assignment_minutes = waited.total_seconds() / 60

    def _intake_team(self):
        return self.team_id or self.channel_id._autoreg_intake_team(self.company_id)

    def _resolve_sender(self, team):
        """The sender's contact; empty when the message is filed as spam
        (blocked sender) or held for review instead, its state then set."""
        if not self.partner_id and self._sender_rule() == "block":
            self.write({"state": "spam", "filter_reason": _("Blocked sender")})
            return self.env["res.partner"]
        partner = self.partner_id or self._resolve_partner(team)
        if not partner:
            self._hold_or_reject(team)
        return partner

    def _register_request(self, team):
        """:return: ``(ticket, created)``; channels may register differently."""
        return self.env["helpdesk.ticket"]._autoreg_register(self, team)

    def _resolve_partner(self, team):
        if not (self.sender_email or self.sender_phone):
            raise UserError(
                _(
                    "The message does not say who sent it: it has neither an "
                    "email address nor a phone number."
                )
            )
        return self.env["res.partner"]._autoreg_find_or_create(
            {
                "name": self.sender_name,
                "email": self.sender_email,
                "phone": self.sender_phone,
                "country": self.sender_country_id or self.company_id.country_id,
            },
            self.company_id,
            allow_create=self._may_create_partner(team),
            allow_match=not self.sender_untrusted,
        )

    def _sender_rule(self):
        email_normalized = tools.email_normalize(self.sender_email or "")
        return self.env["autoreg.sender.rule"]._decision_for(email_normalized, self.company_id)

    def _may_create_partner(self, team):
        """Whether an unknown sender may become a contact without review."""
        if self.sender_untrusted:
            return False
        if self.channel_id.autoreg_partner_policy == "create":
            return True
        return self._sender_rule() == "allow" or (
            team.autoreg_unknown_policy == "accept"
        )

    def _hold_or_reject(self, team):
        """An unknown sender: wait for a reviewer, or file as spam."""
        if team.autoreg_unknown_policy == "reject" and not self.sender_untrusted:
            self.write({"state": "spam", "filter_reason": _("Unknown sender (team policy)")})
            return
        self.write(
            {
                "state": "review",
                "error_message": False,
                "team_id": team.id,
                "filter_reason": self.filter_reason or _("Unknown sender"),
            }
        )
        if team:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=team._autoreg_reviewer().id,
                summary=_("Review a message from %(sender)s", sender=self._sender_label()),
            )

    def _sender_label(self):
        return self.sender_name or self.sender_email or self.sender_phone or "?"

    @api.model
    def _describe_error(self, error):
        if isinstance(error, UserError):
            return error.args[0]
        return f"{type(error).__name__}: {error}"[:2000]

    # ------------------------------------------------------------------
    # Backend actions and cron
    # ------------------------------------------------------------------

    def action_retry(self):
        if not self.env.user.has_group("client_autoreg.group_autoreg_manager"):
            raise AccessError(_("Only intake managers can retry inbound messages."))
        to_retry = self.filtered(lambda rec: rec.state in RETRYABLE_STATES)
        if not to_retry:
            raise UserError(_("Only received or failed messages can be retried."))
        # Processing creates contacts and tickets the manager may have no
        # right to create by hand; it runs with the rights of the intake.
        to_retry.sudo()._process()
        return True

    # ------------------------------------------------------------------
    # Review of held messages
    # ------------------------------------------------------------------

    def _check_reviewable(self):
        if not self.env.user.has_group("client_autoreg.group_autoreg_manager") and not all(
            rec.team_id and rec.team_id._autoreg_reviewer() == self.env.user for rec in self
        ):
            raise AccessError(_("Only the reviewer or an intake manager can review messages."))
        if any(rec.state != "review" for rec in self):
            raise UserError(_("Only messages waiting for review can be approved or rejected."))
        if any(not tools.email_normalize(rec.sender_email or "") for rec in self):
            raise UserError(_("Only messages with a sender address can be reviewed."))

    def action_approve_sender(self):
        return self._approve("address")

    def action_approve_domain(self):
        return self._approve("domain")

    def _approve(self, kind):
        self._check_reviewable()
        # The reviewer's decision registers the request as intake would have:
        # with the rights of the intake, not of the reviewer.
        for inbound in self.sudo():
            email_normalized = tools.email_normalize(inbound.sender_email)
            inbound.env["autoreg.sender.rule"]._remember(
                kind, email_normalized, "allow", inbound.company_id, inbound
            )
            inbound.write(
                {"state": "received", "sender_untrusted": False, "review_decision": "approved"}
            )
            inbound.activity_ids.action_feedback(feedback=_("Approved"))
            inbound._process()
        return True

    def action_reject_spam(self):
        self._check_reviewable()
        # Checked above: the reviewer's decision is recorded with intake rights.
        for inbound in self.sudo():
            email_normalized = tools.email_normalize(inbound.sender_email)
            inbound.env["autoreg.sender.rule"]._remember(
                "address", email_normalized, "block", inbound.company_id, inbound
            )
            inbound.env["mail.blacklist"]._add(
                email_normalized, message=_("Rejected as spam in intake review")
            )
            inbound.write(
                {
                    "state": "spam",
                    "filter_reason": _("Rejected by a reviewer"),
                    "review_decision": "rejected",
                }
            )
            inbound.activity_ids.action_feedback(feedback=_("Rejected as spam"))
        return True

    def action_open_ticket(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "helpdesk.ticket",
            "res_id": self.ticket_id.id,
            "view_mode": "form",
        }

    @api.model
    def _cron_process_received(self, limit=200):
        """Process messages stored but not processed (a door that deferred
        processing, or a worker that stopped in between)."""
        pending = self.search([("state", "=", "received")], limit=limit, order="id")
        pending._process()
        return len(pending)
