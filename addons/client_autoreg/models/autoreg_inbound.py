# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The intake corridor: one path for every door.

Read top-down, every message takes these steps:

1. **store**    ``_store(door, key, values)``: the raw message is kept under
                its idempotency key before anything can fail;
2. **process**  ``_process()``: the door translates its protocol (the mail
                gateway parses and routes, the Telegram conversation asks
                for the phone number, the website validates the form)...
3. **filter**   ``_admit()``: ...and hands the message to the corridor, which
                drops auto-replies and spam (the door's signals),
4. **resolve**  the sender becomes one contact, or waits for a reviewer,
5. **register** the door registers the request (a helpdesk ticket, or a
                message added to the customer's open one),
6. **assign**   ``_registered()`` runs the team's "On request registered"
7. **notify**   action: assignment and the assignee's notification.

The doors are ``autoreg.door.mail``, ``autoreg.door.telegram`` and
``autoreg.door.website``; the corridor asks which door a message came
through in one place, ``_door()``.
"""

import logging
import textwrap
from datetime import datetime, timedelta

import lxml.html
from markupsafe import Markup

from odoo import _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import LazyTranslate, html2plaintext

from ..tools.stored_text import to_json, to_text
from .autoreg_sender_rule import is_public_mail_domain
from .res_partner import PROOFS

_logger = logging.getLogger(__name__)
# The shortest wait recorded between a message's arrival and its assignment.
MIN_WAIT_MINUTES = 1 / 600
_lt = LazyTranslate(__name__)

DOORS = [("mail", "Email"), ("telegram", "Telegram"), ("website", "Website")]
STATES = [
    ("received", "Received"),
    ("waiting", "Waiting for the phone number"),
    ("review", "To Review"),
    ("done", "Registered"),
    ("passed", "Passed on"),
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
    door = fields.Selection(
        selection=DOORS, required=True, readonly=True, index=True,
        help="The protocol the message came through.",
    )
    channel_id = fields.Many2one(
        comodel_name="helpdesk.ticket.channel",
        readonly=True,
        ondelete="set null",
        index=True,
        help="The helpdesk channel its request is registered under.",
    )
    idempotency_key = fields.Char(
        required=True,
        readonly=True,
        help="Identifies the message within its door (Message-Id, Telegram bot "
        "and update_id, form submission token): the same key is registered once.",
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
    filter_reason_data = fields.Json(
        readonly=True, copy=False,
        help="Why the message was held, as its English source text and arguments.",
    )
    filter_reason = fields.Char(
        compute="_compute_filter_reason", inverse="_inverse_filter_reason", readonly=True,
        help="Why the message was held for review, filed as spam or ignored.",
    )
    sender_unverified = fields.Boolean(
        readonly=True,
        help="The sender's identity could not be verified (for mail: failed SPF "
        "or DKIM): the message is never matched to a contact automatically.",
    )
    sender_email_proof = fields.Selection(
        selection=PROOFS, string="Address proven by", readonly=True,
        help="What the door proved of the sender's address; empty when it was "
        "only typed (a claim, which never matches an existing contact).",
    )
    sender_phone_proof = fields.Selection(
        selection=PROOFS, string="Phone proven by", readonly=True,
        help="What the door proved of the sender's phone number; empty when it "
        "was only typed (a claim, which never matches an existing contact).",
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

    # Mail door
    mail_alias_id = fields.Many2one(
        comodel_name="mail.alias", string="Alias", readonly=True, ondelete="set null"
    )
    payload_encoding = fields.Char(
        readonly=True,
        help="How the raw bytes were turned into text: utf-8 when they were valid "
        "UTF-8, else latin-1, which keeps every byte.",
    )
    mail_gateway_model = fields.Char(
        readonly=True,
        help="The model the mail gateway was asked to fall back to (fetchmail "
        "server, mailgate), kept to route the stored mail again.",
    )
    # Telegram door
    telegram_bot_id = fields.Many2one(
        comodel_name="autoreg.telegram.bot", string="Telegram bot", readonly=True,
        ondelete="set null", index="btree_not_null",
    )
    telegram_chat_id = fields.Many2one(
        comodel_name="autoreg.telegram.chat", string="Telegram chat", readonly=True,
        ondelete="set null", index="btree_not_null",
    )
    telegram_missing_files = fields.Text(
        readonly=True,
        help="Files of the message Telegram could not hand over yet (JSON); "
        "they are added to the request when they can be fetched.",
    )
    # Website door
    web_form = fields.Selection(
        selection=[
            ("register", "Registration"),
            ("request", "Request"),
            ("appointment", "Online order / appointment"),
        ],
        string="Website form",
        readonly=True,
    )
    sender_ip = fields.Char(
        string="Sender IP address", readonly=True, index="btree_not_null",
        help="Address the form was posted from (rate limiting).",
    )
    newsletter_consent = fields.Boolean(
        readonly=True, help="The sender asked for the newsletter with this message."
    )
    web_service_id = fields.Many2one(
        comodel_name="autoreg.web.service", string="Service", readonly=True, ondelete="restrict"
    )
    web_date = fields.Date(string="Preferred date", readonly=True)
    web_slot = fields.Selection(
        selection="_selection_web_slot", string="Preferred time", readonly=True
    )
    calendar_event_id = fields.Many2one(
        comodel_name="calendar.event", string="Appointment", readonly=True, ondelete="set null"
    )
    web_start = fields.Datetime(string="Chosen time", readonly=True)
    web_member_id = fields.Many2one(
        comodel_name="res.users", string="Chosen member", readonly=True, ondelete="set null",
        help="The member the visitor chose to book with (empty: any free member).",
    )

    # Figures of the intake dashboard (averaged in graph and pivot views)
    review_decision = fields.Selection(
        selection=[("approved", "Approved"), ("rejected", "Rejected as spam")], readonly=True
    )
    spam_rate = fields.Float(
        string="Spam (%)", compute="_compute_rates", store=True, aggregator="avg",
        precompute=True,  # written with the new record, not by an UPDATE after it
    )
    approval_rate = fields.Float(
        string="Approved in review (%)", compute="_compute_rates", store=True, aggregator="avg",
        precompute=True,
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
            "UNIQUE(door, idempotency_key)",
            "This message was already received through this door.",
        ),
    ]

    @api.model
    def _selection_web_slot(self):
        return self.env["autoreg.door.website"]._slot_selection()

    @api.depends("name")
    @api.depends_context("lang")
    def _compute_display_name(self):
        # A message without text is named in the reader's language.
        for inbound in self:
            inbound.display_name = inbound.name or _("(no content)")

    @api.depends("filter_reason_data")
    @api.depends_context("lang")
    def _compute_filter_reason(self):
        for inbound in self:
            inbound.filter_reason = to_text(inbound.filter_reason_data, self.env.lang)

    def _inverse_filter_reason(self):
        for inbound in self:
            inbound.filter_reason_data = to_json(inbound.filter_reason)

    @api.depends("state", "review_decision")
    def _compute_rates(self):
        for inbound in self:
            inbound.spam_rate = 100.0 if inbound.state == "spam" else 0.0
            inbound.approval_rate = 100.0 if inbound.review_decision == "approved" else 0.0

    def _door(self):
        """The door this message came through: the one place the corridor
        asks."""
        self.ensure_one()
        return self.env[f"autoreg.door.{self.door}"]

    # ------------------------------------------------------------------
    # 1. Store: the first thing every door does
    # ------------------------------------------------------------------

    @api.model
    def _store(self, door, key, values):
        """Keep a message under its idempotency key, before any processing.

        The entry point of every door: ``_store(door, key, values)``, then
        ``_process()`` on what it returns, at once or from the intake job.
        It must be called with rights to create contacts and requests (doors
        call it as sudo).

        :param door: ``mail``, ``telegram`` or ``website``
        :param key: Message-Id, bot and update_id, submission token...
        :param values: field values (``channel_id`` defaults to the door's
            channel), plus ``attachments``: a list of dicts with ``name``,
            ``raw`` and optionally ``mimetype``
        :return: ``(inbound, created)``; ``created`` is False for a replay
        """
        if not key:
            raise UserError(_("An inbound message needs an idempotency key."))
        values = dict(values)
        channel = self.env["helpdesk.ticket.channel"].browse(values.pop("channel_id", None))
        channel = channel or self.env[f"autoreg.door.{door}"]._channel()
        self.env["autoreg.lock"]._acquire(f"inbound:{door}:{key}")
        existing = self._of_key(door, key)
        if existing:
            _logger.info("Inbound %s through door %s already received", key, door)
            return existing, False
        attachments = values.pop("attachments", None) or []
        inbound = self.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        ).create(
            {
                **values,
                "door": door,
                "channel_id": channel.id,
                "idempotency_key": key,
                "company_id": values.get("company_id")
                or channel.company_id.id
                or self.env.company.id,
                "name": values.get("name") or self._summarize(values),
            }
        )
        inbound._store_attachments(attachments)
        return inbound, True

    @api.model
    def _of_key(self, door, key):
        return self.search([("door", "=", door), ("idempotency_key", "=", key)], limit=1)

    @api.model
    def _summarize(self, values):
        text = values.get("subject") or html2plaintext(values.get("body") or "")
        return textwrap.shorten(text, 80, placeholder="…")

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
    # 2. Process: the door translates, the corridor decides
    # ------------------------------------------------------------------

    def _process(self, created_here=False):
        """Run each message through its door and the corridor; a failing
        message is left in the error state with its reason instead of
        failing its caller.

        Concurrency errors are re-raised: the caller's transaction is then
        retried as a whole by Odoo, and the message processed again.

        :param created_here: the messages were stored by this transaction,
            which has not committed: no other one can see them, so none
            needs to be kept out
        """
        for inbound in self.filtered(lambda rec: rec.state in RETRYABLE_STATES):
            # One transaction processes a message at a time; another one
            # waiting here fails to serialize and is retried, then sees it done.
            if not created_here:
                self.env.cr.execute(
                    "SELECT id FROM autoreg_inbound WHERE id = %s FOR NO KEY UPDATE",
                    (inbound.id,),
                )
            attempts = inbound.attempt_count + 1
            try:
                with self.env.cr.savepoint():
                    inbound.attempt_count = attempts
                    inbound._door()._process(inbound)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except Exception as error:  # noqa: BLE001 - kept on the record
                inbound._set_error(error, attempts)
        return True

    def _set_error(self, error, attempts=None):
        _logger.warning(
            "Inbound message %s (%s) failed: %s",
            self.id,
            self.door,
            type(error).__name__,
            exc_info=not isinstance(error, UserError),
        )
        self.write(
            {
                "state": "error",
                "error_message": self._describe_error(error),
                "attempt_count": attempts or self.attempt_count,
            }
        )

    def _run_corridor(self):
        """Filter, resolve, register, then assign and notify: the corridor
        as the Telegram and website doors enter it. (The mail door runs the
        same steps from inside Odoo's routing, see ``mail.thread``.)"""
        self.ensure_one()
        team = self._intake_team()
        if not self._admit(team):
            return
        ticket, created = self._door()._register_request(self, team)
        self._registered(ticket, created)

    # ------------------------------------------------------------------
    # 3 + 4. Filter and resolve the sender
    # ------------------------------------------------------------------

    def _admit(self, team, message=None):
        """Whether the message goes on to registration, its contact and team
        then set; otherwise its state says why not (ignored, spam, review).

        :param message: the door's parsed message, for the door's filters
        """
        state, reason = self._door()._filter(self, message)
        if state:
            self.write({"state": state, "filter_reason_data": to_json(reason)})
            return False
        partner = self._resolve_sender(team)
        if not partner:
            return False
        self._require_team(team)
        self.write({"partner_id": partner.id, "team_id": team.id})
        return True

    def _intake_team(self):
        return self.team_id or self.channel_id._autoreg_intake_team(self.company_id)

    def _require_team(self, team):
        if not team:
            raise UserError(
                _(
                    "No active helpdesk team receives the requests of channel "
                    "%(channel)s. Choose an intake team on the channel, then "
                    "retry.",
                    channel=self.channel_id.name,
                )
            )

    def _resolve_sender(self, team):
        """The sender's contact. Empty when there is none to register: a
        blocked sender is filed as spam, an unknown one held for review or
        rejected, by the team's policy (see ``_unknown_sender_decision``)."""
        if not self.partner_id and self._sender_rule() == "block":
            self.write({"state": "spam", "filter_reason_data": to_json(_lt("Blocked sender"))})
            return self.env["res.partner"]
        partner = self.partner_id or self._match_or_create_partner(team)
        if not partner:
            self._hold_or_reject(team)
        elif self.partner_id:
            # The door knew the contact (a signed-in customer, a linked
            # chat): what it proved is recorded on it.
            partner._autoreg_prove(self.sender_email_proof, self.sender_phone_proof)
        return partner

    def _match_or_create_partner(self, team):
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
                "country": self.sender_country_id,
                # read for a phone number only (the company's address costs queries)
                "region": self.sender_phone and self.company_id.country_id,
            },
            self.company_id,
            allow_create=self._unknown_sender_decision(team) == "register",
            verified=not self.sender_unverified,
            email_proof=self.sender_email_proof,
            phone_proof=self.sender_phone_proof,
        )

    def _sender_email_normalized(self):
        return tools.email_normalize(self.sender_email or "") or False

    def _sender_rule(self):
        return self.env["autoreg.sender.rule"]._decision_for(
            self._sender_email_normalized(), self.company_id
        )

    def _unknown_sender_decision(self, team):
        """What becomes of a sender who matches no contact, in this order:

        1. an unverified sender is never registered automatically (review);
        2. the sender rules (allowlist: register; blocklist handled before);
        3. the door: Telegram (the phone number was proven) and the website
           (the visitor registers themself) register;
        4. mail: the team's policy (review, register or reject).

        :return: ``register``, ``review`` or ``reject``
        """
        if self.sender_unverified:
            return "review"
        if self._sender_rule() == "allow":
            return "register"
        if self._door()._registers_unknown_senders():
            return "register"
        return team.autoreg_unknown_policy

    def _hold_or_reject(self, team):
        """An unknown sender: wait for a reviewer, or file as spam."""
        if self._unknown_sender_decision(team) == "reject":
            self.write({"state": "spam",
                        "filter_reason_data": to_json(_lt("Unknown sender (team policy)"))})
            return
        self.write(
            {
                "state": "review",
                "error_message": False,
                "team_id": team.id,
                "filter_reason_data": self.filter_reason_data or to_json(_lt("Unknown sender")),
            }
        )
        if team:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=team._autoreg_reviewer().id,
                summary=_("Review a message from %(sender)s", sender=self._sender_label()),
            )

    def _mail_raw_bytes(self):
        return (self.payload or "").encode(self.payload_encoding or "utf-8")

    def _sender_label(self):
        return self.sender_name or self.sender_email or self.sender_phone or "?"

    # ------------------------------------------------------------------
    # 5 + 6 + 7. Registered: assign and notify
    # ------------------------------------------------------------------

    def _registered(self, ticket, created):
        """The request is registered: record it, then run the team's action
        (assignment and notification) and let the door answer."""
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
            # create_date has microseconds, fields.Datetime.now() none
            waited = datetime.utcnow() - self.create_date
            # Odoo reads a float 0.0 as "not set" (in domains, and here above):
            # a wait below the clock's resolution is kept as a tenth of a second.
            self.write({"assignment_minutes": max(waited.total_seconds() / 60, MIN_WAIT_MINUTES)})
        self._door()._after_register(self, ticket, created)

    def _give_consent(self, text, email=None, verified=False):
        """The contact asked for the newsletter with this message."""
        return self.env["autoreg.consent"]._record(
            self.partner_id, self.channel_id, self, text,
            email=email or self.sender_email, verified=verified,
        )

    def _finish(self, state, reason):
        """End processing without a request (ignored, passed on...)."""
        self.write(
            {"state": state, "filter_reason_data": to_json(reason),
             "processed_date": fields.Datetime.now()}
        )

    @api.model
    def _describe_error(self, error):
        if isinstance(error, UserError):
            return error.args[0]
        return f"{type(error).__name__}: {error}"[:2000]

    # ------------------------------------------------------------------
    # Backend actions and the intake job
    # ------------------------------------------------------------------

    def action_retry(self):
        self.env.user._autoreg_check_manager(_("Only intake managers can retry inbound messages."))
        to_retry = self.filtered(lambda rec: rec.state in RETRYABLE_STATES)
        if not to_retry:
            raise UserError(_("Only received or failed messages can be retried."))
        # Processing creates contacts and tickets the manager may have no
        # right to create by hand; it runs with the rights of the intake.
        to_retry.sudo()._process()
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
        processing, or a worker that stopped in between).

        Run by the scheduler, each message is committed on its own: a
        conflict with concurrent intake (the same customer, the same
        member's count of open requests) rolls back that message only. The
        run stops there, so that a customer's messages keep their order, and
        the scheduler runs the job again at once for what is left.
        Called directly (tests, benchmarks), all is one transaction.
        """
        pending = self.search([("state", "=", "received")], limit=limit, order="id")
        if not self.env.context.get("ir_cron_progress_id"):
            pending._process()
            return len(pending)
        done = 0
        for inbound in pending:
            try:
                inbound._process()
                self.env.cr.commit()  # pylint: disable=invalid-commit
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                self.env.cr.rollback()
                _logger.info("Inbound message %s waits for the next run (concurrent intake)",
                             inbound.id)
                # The scheduler runs again at once only after some progress.
                self.env.ref("client_autoreg.ir_cron_autoreg_process_received").sudo()._trigger(
                    at=fields.Datetime.now() + timedelta(seconds=5)
                )
                break
            done += 1
        remaining = self.search_count([("state", "=", "received")])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _trigger_intake_job(self):
        self.env["ir.cron"]._autoreg_wake_job("client_autoreg.ir_cron_autoreg_process_received")

    # ------------------------------------------------------------------
    # Review of held messages
    # ------------------------------------------------------------------

    can_review = fields.Boolean(
        compute="_compute_can_review",
        help="You may approve or reject this message: you are an intake manager "
        "or the reviewer of its team.",
    )
    sender_domain_public = fields.Boolean(
        string="Public mail provider",
        compute="_compute_sender_domain_public",
        help="The sender writes from a public mail provider (Gmail, Outlook...): "
        "the address may be approved, never the whole domain.",
    )
    body_display = fields.Html(
        string="Message (links disarmed)",
        compute="_compute_body_display",
        sanitize_style=True,
        help="The message as it is shown while held or filed as spam: every link "
        "is plain text followed by its address in brackets, remote images are "
        "not loaded.",
    )

    @api.depends_context("uid")
    @api.depends("team_id")
    def _compute_can_review(self):
        for inbound in self:
            inbound.can_review = inbound._may_review()

    def _may_review(self):
        self.ensure_one()
        return self.env.user._autoreg_is_manager() or bool(
            self.team_id and self.team_id._autoreg_reviewer() == self.env.user
        )

    @api.depends("sender_email")
    def _compute_sender_domain_public(self):
        for inbound in self:
            inbound.sender_domain_public = is_public_mail_domain(
                inbound._sender_email_normalized() or ""
            )

    @api.depends("body")
    def _compute_body_display(self):
        for inbound in self:
            inbound.body_display = self._disarm(inbound.body)

    @api.model
    def _disarm(self, html):
        """``html`` with no link to follow and no remote image to load: a link
        becomes its text and, in brackets, its address; an image its alt text."""
        if not html or not html.strip():
            return html
        try:
            root = lxml.html.fragment_fromstring(tools.html_sanitize(html), create_parent="div")
        except (lxml.etree.ParserError, ValueError):
            return Markup("<p>%s</p>") % html2plaintext(html)
        for link in list(root.iter("a")):
            address = (link.get("href") or "").strip()
            text = link.text_content().strip()
            link.tag = "span"
            link.attrib.clear()
            if address and address.removeprefix("mailto:") != text:
                suffix = f" [{address}]"
                if len(link):
                    link[-1].tail = (link[-1].tail or "") + suffix
                else:
                    link.text = (link.text or "") + suffix
        for image in list(root.iter("img")):
            if (image.get("src") or "").startswith("data:"):
                continue
            alt = (image.get("alt") or "").strip()
            image.tag = "span"
            image.attrib.clear()
            image.text = f"[{alt}]" if alt else ""
        return Markup(lxml.html.tostring(root, encoding="unicode"))

    def _check_reviewable(self):
        if not all(rec._may_review() for rec in self):
            raise AccessError(_("Only the reviewer or an intake manager can review messages."))
        if any(rec.state != "review" for rec in self):
            raise UserError(_("Only messages waiting for review can be approved or rejected."))
        # sudo: the reviewer's rights were checked above; this only reads
        # which door the messages came through.
        if any(not rec._door()._reviewable() for rec in self.sudo()):
            raise UserError(_("Telegram messages are not reviewed: the phone number links them."))
        if any(not rec._sender_email_normalized() for rec in self):
            raise UserError(_("Only messages with a sender address can be reviewed."))

    def action_approve_sender(self):
        return self._approve("address")

    def action_approve_domain(self):
        return self._approve("domain")

    def _approve(self, kind):
        self._check_reviewable()
        # sudo: the reviewer was checked above; only the sender's address is read.
        public = self.sudo().filtered("sender_domain_public") if kind == "domain" else None
        if public:
            raise UserError(
                _(
                    "%(domain)s is a public mail provider: approving the domain would "
                    "let anyone with an address there in. Approve the sender instead.",
                    domain=public[0]._sender_email_normalized().rpartition("@")[2],
                )
            )
        # The reviewer's decision registers the request as intake would have:
        # with the rights of the intake, not of the reviewer.
        for inbound in self.sudo():
            inbound.env["autoreg.sender.rule"]._remember(
                kind, inbound._sender_email_normalized(), "allow", inbound.company_id, inbound
            )
            inbound.write(
                {
                    "state": "received",
                    "sender_unverified": False,
                    "review_decision": "approved",
                    "filter_reason_data": False,
                }
            )
            inbound.activity_ids.action_feedback(feedback=_("Approved"))
            inbound._process()
        # sudo: the reviewer may not read the request they just registered.
        return self.sudo()._approved_notification(kind)

    def _approved_notification(self, kind):
        """What the reviewer is told once the approved messages went on."""
        if len(self) > 1:
            return self._review_notification(
                _("%(count)s messages approved.", count=len(self))
            )
        address = self._sender_email_normalized()
        domain = address.rpartition("@")[2]
        if self.state == "error":
            return self._review_notification(
                _(
                    "Approved, but the request could not be registered: %(error)s",
                    error=self.error_message,
                ),
                "warning",
            )
        if self.state == "done" and kind == "domain":
            message = _(
                "Approved: request %(request)s is registered, and mail from anyone "
                "at %(domain)s will be registered from now on.",
                request=self.ticket_id.display_name, domain=domain,
            )
        elif self.state == "done":
            message = _(
                "Approved: request %(request)s is registered, and mail from "
                "%(address)s will be registered from now on.",
                request=self.ticket_id.display_name, address=address,
            )
        elif kind == "domain":
            message = _(
                "Approved: mail from anyone at %(domain)s will be registered from now on.",
                domain=domain,
            )
        else:
            message = _(
                "Approved: mail from %(address)s will be registered from now on.",
                address=address,
            )
        return self._review_notification(message)

    @api.model
    def _review_notification(self, message, kind="success"):
        """A pop-up saying what the review did, then the form reloaded.

        Closing is how a form button asks the web client to reload the record
        it shows (its ``onClose``); ``soft_reload`` would restore the form
        controller's last exported record, which is another message once the
        reviewer went back to the list and opened the next one.
        """
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "message": message,
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_reject_spam(self):
        self._check_reviewable()
        # Checked above: the reviewer's decision is recorded with intake rights.
        for inbound in self.sudo():
            email_normalized = inbound._sender_email_normalized()
            inbound.env["autoreg.sender.rule"]._remember(
                "address", email_normalized, "block", inbound.company_id, inbound
            )
            inbound.env["mail.blacklist"]._add(
                email_normalized, message=_("Rejected as spam in intake review")
            )
            inbound.write(
                {
                    "state": "spam",
                    "filter_reason_data": to_json(_lt("Rejected by a reviewer")),
                    "review_decision": "rejected",
                }
            )
            inbound.activity_ids.action_feedback(feedback=_("Rejected as spam"))
        # sudo: as above, the decision is described with intake rights.
        return self.sudo()._rejected_notification()

    def _rejected_notification(self):
        if len(self) > 1:
            message = _("%(count)s messages rejected as spam.", count=len(self))
        else:
            message = _(
                "Rejected: the message is filed as spam, and mail from %(address)s "
                "goes straight to spam from now on.",
                address=self._sender_email_normalized(),
            )
        return self._review_notification(message)
