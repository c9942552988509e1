# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The intake corridor shared by every channel.

A channel ("door") only translates its protocol into ``_intake()``:
the raw payload is stored first, under an idempotency key, then the message
goes through the same steps whatever its origin: resolve the sender to a
contact, register the request, run the team's "registered" action.
"""

import logging
import textwrap

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import html2plaintext

_logger = logging.getLogger(__name__)

STATES = [
    ("received", "Received"),
    ("review", "To Review"),
    ("done", "Registered"),
    ("spam", "Spam"),
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

    _sql_constraints = [
        (
            "idempotency_key_unique",
            "UNIQUE(channel_id, idempotency_key)",
            "This message was already received on this channel.",
        ),
    ]

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
            inbound.attempt_count += 1
            try:
                with self.env.cr.savepoint():
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
                    {"state": "error", "error_message": self._describe_error(error)}
                )
        return True

    def _process_one(self):
        self.ensure_one()
        partner = self.partner_id or self._resolve_partner()
        if not partner:
            self.write({"state": "review", "error_message": False})
            return
        team = self.channel_id._autoreg_intake_team(self.company_id)
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
        ticket, created = self.env["helpdesk.ticket"]._autoreg_register(self, team)
        self.write(
            {
                "ticket_id": ticket.id,
                "state": "done",
                "error_message": False,
                "processed_date": fields.Datetime.now(),
            }
        )
        ticket._autoreg_after_register(self, created)

    def _resolve_partner(self):
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
            allow_create=self.channel_id.autoreg_partner_policy == "create",
        )

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
