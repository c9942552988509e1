# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Messages to send to Telegram chats: the bot's answers and the staff's
replies. They are queued in the transaction that decides them and sent by a
job right after, so that a Bot API outage delays them and loses nothing:
failed sends stay visible with their error and are retried with a growing
delay."""

import json
import logging
import threading
from datetime import timedelta

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from odoo import _, api, fields, models
from odoo.tools import format_time

_logger = logging.getLogger(__name__)

STATES = [
    ("pending", "To send"),
    ("sent", "Sent"),
    ("error", "Failed, will retry"),
    ("failed", "Failed"),
]
MAX_ATTEMPTS = 8
# Telegram will never accept these: retrying would not help.
PERMANENT_ERRORS = (BadRequest, Forbidden)
# Why a send failed, as a user can act on it (the exception is kept apart).
FAILURE_KINDS = [
    ("unreachable", "Telegram out of reach"),
    ("busy", "Telegram asked to slow down"),
    ("token", "Bot token rejected"),
    ("blocked", "Chat closed by the customer"),
    ("refused", "Refused by Telegram"),
    ("other", "Other error"),
]


class AutoregTelegramMessage(models.Model):
    _name = "autoreg.telegram.message"
    _description = "Telegram Message to Send"
    _order = "id"

    chat_id = fields.Many2one(
        comodel_name="autoreg.telegram.chat", required=True, readonly=True, ondelete="cascade",
        index=True,
    )
    bot_id = fields.Many2one(related="chat_id.bot_id", store=True)
    text = fields.Text(required=True, readonly=True)
    reply_markup = fields.Text(readonly=True, help="Keyboard sent with the text (JSON).")
    ticket_id = fields.Many2one(
        comodel_name="helpdesk.ticket", string="Request", readonly=True, index="btree_not_null",
        ondelete="set null",
    )
    mail_message_id = fields.Many2one(
        comodel_name="mail.message", string="Reply", readonly=True, ondelete="set null",
        help="The staff reply in Odoo that this message carries to the chat.",
    )
    state = fields.Selection(
        selection=STATES, default="pending", required=True, readonly=True, index=True
    )
    attempt_count = fields.Integer(readonly=True)
    next_try = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    error_message = fields.Text(
        string="Technical details", readonly=True,
        help="The error of the last attempt, as the Bot API library reported it.",
    )
    failure_kind = fields.Selection(
        selection=FAILURE_KINDS, string="Failure", readonly=True,
        help="Why the last attempt failed.",
    )
    delivery_status = fields.Char(
        string="Delivery", compute="_compute_delivery_status",
        help="Where the message stands: sent when its turn comes, waiting behind "
        "an earlier message to the same chat, retried later, or not deliverable.",
    )
    sent_date = fields.Datetime(readonly=True)
    telegram_message_id = fields.Char(readonly=True)
    company_id = fields.Many2one(related="chat_id.company_id", store=True)

    @api.depends_context("tz")
    @api.depends("state", "failure_kind", "next_try", "attempt_count", "chat_id")
    def _compute_delivery_status(self):
        waiting = self._waiting()
        for message in self:
            message.delivery_status = message._describe_delivery(message in waiting)

    def _waiting(self):
        """The messages to send that an earlier message of the same chat,
        failed and waiting for its retry, holds up: nothing overtakes it
        (see ``_send``)."""
        # sudo: only the first failed message of each chat is looked up.
        first_failed = dict(
            self.sudo()._read_group(
                [("chat_id", "in", self.chat_id.ids), ("state", "=", "error")],
                ["chat_id"],
                ["id:min"],
            )
        )
        return self.filtered(
            lambda msg: msg.state == "pending"
            and msg.id
            and msg.id > first_failed.get(msg.chat_id, msg.id)
        )

    def _describe_delivery(self, waiting=False):
        """The message's delivery in words a user can act on."""
        self.ensure_one()
        if self.state == "sent":
            return False
        if waiting:
            return _("Waiting: an earlier message to this chat is not delivered yet.")
        if self.state == "pending":
            return _("Queued: sent within a minute.")
        if self.failure_kind == "blocked":
            return _("Not delivered: the customer blocked the bot or left the chat.")
        if self.failure_kind == "refused":
            return _("Not delivered: Telegram refused this message; it is not retried.")
        if self.state == "failed":
            return _(
                "Not delivered after %(count)s attempts: an intake manager can send "
                "it again.",
                count=self.attempt_count,
            )
        retry_at = format_time(
            self.env, self.next_try, tz=self.env.context.get("tz") or False,
            time_format="short",
        )
        if self.failure_kind == "busy":
            return _("Telegram asked to slow down; retrying at %(time)s.", time=retry_at)
        if self.failure_kind == "token":
            return _(
                "Telegram rejected the bot's token: an administrator must check the "
                "bot; retrying at %(time)s.",
                time=retry_at,
            )
        if self.failure_kind == "unreachable":
            return _("Telegram could not be reached; retrying at %(time)s.", time=retry_at)
        return _("Telegram did not take the message; retrying at %(time)s.", time=retry_at)

    @api.model
    def _failure_kind(self, error):
        if isinstance(error, Forbidden):
            return "blocked"
        if isinstance(error, BadRequest):
            return "refused"
        if isinstance(error, RetryAfter):
            return "busy"
        if isinstance(error, InvalidToken):
            return "token"
        if isinstance(error, NetworkError):
            return "unreachable"
        return "other"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        self._send_job()._trigger()
        return messages

    def _send_job(self):
        return self.env.ref("client_autoreg.ir_cron_autoreg_telegram_send").sudo()

    @api.model
    def _cron_send(self, limit=100):
        """Send what is due, oldest first (the order of each chat is kept)."""
        due = self.browse(self._due_ids(limit))
        # Each result is committed at once, unless in a test transaction.
        due._send(auto_commit=not getattr(threading.current_thread(), "testing", False))
        if len(due) == limit and "sent" in due.mapped("state"):
            self._send_job()._trigger()
        return len(due)

    @api.model
    def _due_ids(self, limit):
        """Messages due now, skipping the chats whose oldest unsent message
        waits for its retry time (nothing may overtake it)."""
        self.flush_model(["state", "next_try", "chat_id"])
        self.env.cr.execute(
            """
            SELECT message.id
              FROM autoreg_telegram_message message
             WHERE message.state IN ('pending', 'error')
               AND message.next_try <= %(now)s
               AND NOT EXISTS (
                    SELECT 1 FROM autoreg_telegram_message waiting
                     WHERE waiting.chat_id = message.chat_id
                       AND waiting.id < message.id
                       AND waiting.state IN ('pending', 'error')
                       AND waiting.next_try > %(now)s)
          ORDER BY message.id
             LIMIT %(limit)s
            """,
            {"now": fields.Datetime.now(), "limit": limit},
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _send(self, auto_commit=False):
        """Send in order; a chat whose oldest unsent message fails or is not
        due yet gets nothing else meanwhile, so its messages keep their order."""
        first_unsent = dict(
            self._read_group(
                [("chat_id", "in", self.chat_id.ids), ("state", "in", ("pending", "error"))],
                ["chat_id"],
                ["id:min"],
            )
        )
        blocked_chats = set()
        for message in self.sorted("id"):
            chat = message.chat_id
            if chat in blocked_chats:
                continue
            if message.id > first_unsent.get(chat, 0) and first_unsent[chat] not in self.ids:
                blocked_chats.add(chat)  # its oldest message waits for its retry time
                continue
            message._send_one()
            if message.state != "sent":
                blocked_chats.add(chat)
            if auto_commit:
                # The cron only: a message Telegram accepted must be marked
                # sent at once, or a later failure of the job would roll the
                # mark back and the customer would get it twice.
                self.env.cr.commit()  # pylint: disable=invalid-commit

    def _send_one(self):
        self.ensure_one()
        bot = self.bot_id
        attempts = self.attempt_count + 1
        try:
            sent = bot._call(
                "send_message",
                chat_id=int(self.chat_id.chat_id),
                text=self.text,
                reply_markup=self._markup(),
            )
        except TelegramError as error:
            permanent = isinstance(error, PERMANENT_ERRORS) or attempts >= MAX_ATTEMPTS
            _logger.warning(
                "Telegram message %s to chat %s not sent (attempt %s): %s",
                self.id, self.chat_id.id, attempts, bot._describe(error),
            )
            self.write(
                {
                    "state": "failed" if permanent else "error",
                    "attempt_count": attempts,
                    "error_message": bot._describe(error),
                    "failure_kind": self._failure_kind(error),
                    "next_try": fields.Datetime.now() + self._retry_delay(attempts),
                }
            )
            if not permanent:
                self._send_job()._trigger(self.next_try)
            return
        self.write(
            {
                "state": "sent",
                "attempt_count": attempts,
                "error_message": False,
                "failure_kind": False,
                "sent_date": fields.Datetime.now(),
                "telegram_message_id": str(sent.message_id),
            }
        )

    @api.model
    def _retry_delay(self, attempts):
        """30 s, 1 min, 2 min... up to an hour."""
        return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))

    def _markup(self):
        if not self.reply_markup:
            return None
        markup = json.loads(self.reply_markup)
        if "inline_keyboard" in markup:  # buttons of /book (autoreg.booking.telegram)
            return InlineKeyboardMarkup([
                [InlineKeyboardButton(**button) for button in row]
                for row in markup["inline_keyboard"]
            ])
        return ReplyKeyboardMarkup(
            [[KeyboardButton(**button) for button in row] for row in markup["keyboard"]],
            one_time_keyboard=markup.get("one_time_keyboard"),
            resize_keyboard=markup.get("resize_keyboard"),
        )

    def action_retry(self):
        self.env.user._autoreg_check_manager(
            _("Only intake managers can resend Telegram messages.")
        )
        self.filtered(lambda msg: msg.state in ("error", "failed")).write(
            {"state": "pending", "next_try": fields.Datetime.now(), "attempt_count": 0}
        )
        self._send_job()._trigger()
        return True
