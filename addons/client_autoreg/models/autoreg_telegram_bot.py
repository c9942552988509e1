# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A company's Telegram bot: its settings and its calls to the Bot API.

Calls go through python-telegram-bot's ``Bot`` client, pointed at
``api_url`` (Telegram, or a local Bot API server). The token is a secret:
only administrators read it, and it is scrubbed from every error kept or
logged.
"""

import asyncio
import logging
import re
import secrets
from datetime import timedelta

from lxml import etree
from telegram import Bot
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import hmac

_logger = logging.getLogger(__name__)

# Bot API URLs hold the bot's token: httpx logs each request's URL at INFO,
# python-telegram-bot its base URL at DEBUG. Neither reaches Odoo's log.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("telegram").setLevel(logging.INFO)

WEBHOOK_ROUTE = "/customer/telegram/%s/webhook"
# The Bot API accepts 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_TOKEN_BYTES = 32
ALLOWED_UPDATES = ["message"]
# After this many days without updates, Telegram restarts update_id numbering.
NUMBERING_RESTART_DAYS = 7


class AutoregTelegramBot(models.Model):
    _name = "autoreg.telegram.bot"
    _description = "Telegram Bot"
    _inherit = ["mail.thread"]

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    username = fields.Char(readonly=True, help="The bot's @username, read with getMe.")
    token = fields.Char(
        required=True,
        groups="base.group_system",
        copy=False,
        help="The token given by @BotFather. Only administrators can read it.",
    )
    api_url = fields.Char(
        string="Bot API server",
        required=True,
        default="https://api.telegram.org",
        # The token travels to this address: only who may read the token
        # may change where it goes.
        groups="base.group_system",
        help="Telegram's Bot API, or the address of a local Bot API server.",
    )
    mode = fields.Selection(
        selection=[
            ("webhook", "Webhook (Telegram calls Odoo)"),
            ("polling", "Polling (Odoo asks Telegram)"),
        ],
        default="webhook",
        required=True,
        help="Webhooks need Odoo to be reachable over public HTTPS; polling "
        "works from anywhere, with a delay of the polling job's interval.",
    )
    webhook_secret = fields.Char(
        string="Webhook secret token",
        groups="base.group_system",
        copy=False,
        default=lambda self: self._new_webhook_secret(),
        help="Telegram sends it with every update; updates without it are refused.",
    )
    webhook_url = fields.Char(compute="_compute_webhook_url")
    team_id = fields.Many2one(
        comodel_name="helpdesk.ticket.team",
        string="Helpdesk team",
        check_company=True,
        help="Team receiving the requests of this bot; default: the Telegram channel's team.",
    )
    channel_id = fields.Many2one(
        comodel_name="helpdesk.ticket.channel",
        required=True,
        ondelete="restrict",
        default=lambda self: self.env.ref(
            "client_autoreg.helpdesk_ticket_channel_telegram", raise_if_not_found=False
        ),
    )
    lang_id = fields.Many2one(
        comodel_name="res.lang",
        string="Fallback language",
        help="Language of the bot's answers when the customer's Telegram "
        "language is not installed in Odoo; default: the company's.",
    )
    greeting = fields.Text(
        translate=True,
        help="First message to a new customer; empty: the module's greeting.",
    )
    phone_prompt = fields.Text(
        translate=True,
        help="Asks a new customer to share their phone number; empty: the module's text.",
    )
    last_update_id = fields.Integer(
        readonly=True, help="Polling: the last update received from getUpdates."
    )
    last_update_date = fields.Datetime(
        readonly=True, help="Polling: when the last update was received.",
    )
    chat_count = fields.Integer(compute="_compute_chat_count")
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, default=lambda self: self.env.company
    )

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        """Only administrators hold tokens, so only they add bots: intake
        managers get no *New* button (they check, poll and word the bots an
        administrator added), instead of a form they could not save."""
        result = super().get_view(view_id, view_type, **options)
        if view_type in ("list", "form") and not self.env.user.has_group("base.group_system"):
            arch = etree.fromstring(result["arch"])
            arch.set("create", "0")
            result["arch"] = etree.tostring(arch, encoding="unicode")
        return result

    @api.model
    def _new_webhook_secret(self):
        return secrets.token_urlsafe(SECRET_TOKEN_BYTES)

    def _compute_webhook_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for bot in self:
            bot.webhook_url = base_url + WEBHOOK_ROUTE % bot.id if bot.id else False

    def _compute_chat_count(self):
        counts = dict(
            self.env["autoreg.telegram.chat"]._read_group(
                [("bot_id", "in", self.ids)], ["bot_id"], ["__count"]
            )
        )
        for bot in self:
            bot.chat_count = counts.get(bot, 0)

    # ------------------------------------------------------------------
    # Bot API calls
    # ------------------------------------------------------------------

    def _call(self, method, **params):
        """Call the Bot API method ``method`` (a ``telegram.Bot`` coroutine
        name) and return its result.

        :raise telegram.error.TelegramError: with the token scrubbed
        """
        self.ensure_one()
        # sudo: the secret and its server are read to call, never shown
        token, api_url = self.sudo().token, self.sudo().api_url.rstrip("/")

        async def run():
            request = HTTPXRequest(connect_timeout=5.0, read_timeout=10.0)
            async with Bot(
                token,
                base_url=f"{api_url}/bot",
                base_file_url=f"{api_url}/file/bot",
                request=request,
            ) as bot:
                result = await getattr(bot, method)(**params)
                if method == "get_file":
                    return result, bytes(await result.download_as_bytearray())
                return result

        try:
            return asyncio.run(run())
        except TelegramError as error:
            error.message = self._scrub(error.message)
            error.args = tuple(self._scrub(str(arg)) for arg in error.args)
            raise

    def _scrub(self, text):
        """``text`` without the bot's token."""
        token = self.sudo().token or ""
        return (text or "").replace(token, "***") if token else text

    def _describe(self, error):
        return self._scrub(f"{type(error).__name__}: {error}")

    def _check_bot_manager(self):
        self.env.user._autoreg_check_manager(
            _("Only intake managers can set up Telegram bots.")
        )
        self.check_access("write")

    def _check_bot_administrator(self):
        """The webhook and its secret are set up by administrators, who also
        hold the token (intake managers check and poll)."""
        self._check_bot_manager()
        if not self.env.user.has_group("base.group_system"):
            raise AccessError(_("Only administrators can set the webhook of a Telegram bot."))

    def _user_error(self, error, refused_message):
        """A UserError saying in plain words whether Telegram was out of
        reach or refused (``refused_message``, with ``%(error)s``)."""
        if isinstance(error, (NetworkError, TimedOut)):
            return UserError(_(
                "Telegram could not be reached; nothing was changed. Try again "
                "later. (%(error)s)", error=self._describe(error)))
        return UserError(refused_message % {"error": self._describe(error)})

    def action_check_connection(self):
        self.ensure_one()
        self._check_bot_manager()
        try:
            me = self._call("get_me")
        except TelegramError as error:
            raise self._user_error(
                error, _("Telegram did not accept the bot: %(error)s")
            ) from None
        self.username = me.username
        return self._notify(_("Connected to @%(username)s.", username=me.username))

    def action_set_webhook(self):
        self.ensure_one()
        self._check_bot_administrator()
        if not self.webhook_url.startswith("https://"):
            raise UserError(
                _(
                    "Telegram only calls webhooks over HTTPS, and this database's "
                    "address is %(url)s. Set web.base.url to the public HTTPS "
                    "address, or use polling.",
                    url=self.webhook_url,
                )
            )
        return self._set_webhook(self.webhook_url)

    def _set_webhook(self, url):
        try:
            self._call(
                "set_webhook",
                url=url,
                secret_token=self.sudo().webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        except TelegramError as error:
            raise self._user_error(
                error, _("Telegram refused the webhook: %(error)s")
            ) from None
        self.mode = "webhook"
        return self._notify(_("Telegram now sends the updates to %(url)s.", url=url))

    def action_new_webhook_secret(self):
        self._check_bot_administrator()
        # sudo: the secret is readable by administrators only
        self.sudo().webhook_secret = self._new_webhook_secret()

    def _notify(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success", "message": message, "sticky": False,
                # the form shows what the call changed (username, last update)
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Receiving updates: webhook and polling share the same path
    # ------------------------------------------------------------------

    def _portal_link(self, partner):
        """A t.me link that opens this bot and links the chat to
        ``partner``: a signed-in customer proves who they are, the chat
        follows (Telegram deep linking, /start <payload>)."""
        self.ensure_one()
        if not (self.username and partner):
            return False
        return f"https://t.me/{self.username}?start={self._link_payload(partner)}"

    def _link_payload(self, partner):
        # sudo: the database secret signs the link, it is not read otherwise
        signature = hmac(self.env(su=True), f"client_autoreg-telegram-{self.id}", partner.id)
        return f"c{partner.id}_{signature[:24]}"

    def _partner_of_payload(self, payload):
        """The contact a /start payload was signed for, or nobody."""
        self.ensure_one()
        match = re.fullmatch(r"c(\d+)_([0-9a-f]{24})", payload or "")
        if not match:
            return self.env["res.partner"]
        partner = self.env["res.partner"].browse(int(match.group(1))).exists()
        expected = self._link_payload(partner)[-24:] if partner else ""
        if not (partner and secrets.compare_digest(expected, match.group(2))):
            return self.env["res.partner"]
        return partner

    def _check_webhook_secret(self, secret):
        self.ensure_one()
        expected = (self.sudo().webhook_secret or "").encode()
        # bytes: a secret with any character compares without raising
        given = (secret or "").encode("utf-8", "surrogateescape")
        return bool(expected) and secrets.compare_digest(expected, given)

    def _receive_update(self, raw):
        """Store one update (JSON text) and have it processed; a replay of an
        update already stored does nothing.

        :return: ``(inbound, created)``
        :raise ValueError: when ``raw`` is not a Telegram update
        """
        self.ensure_one()
        inbound, created = self.env["autoreg.door.telegram"]._store_update(self, raw)
        if created:
            inbound._trigger_intake_job()
        return inbound, created

    def action_poll(self):
        self.env.user._autoreg_check_manager(_("Only intake managers can poll Telegram bots."))
        # Storing updates creates inbound messages, which only intake does.
        received = 0
        for bot in self.sudo():
            try:
                received += bot._poll()
            except TelegramError as error:
                raise bot._user_error(
                    error, _("Telegram refused to hand over the updates: %(error)s")
                ) from None
        if not received:
            return self._notify(_("No new message from Telegram."))
        if received == 1:
            return self._notify(_("One new message from Telegram: it is being registered."))
        return self._notify(_(
            "%(count)s new messages from Telegram: they are being registered.",
            count=received))

    def _poll(self, limit=100):
        """Fetch the waiting updates with getUpdates and store them."""
        self.ensure_one()
        updates = self._call(
            "get_updates",
            offset=self._poll_offset(),
            limit=limit,
            timeout=0,
            allowed_updates=ALLOWED_UPDATES,
        )
        for update in updates:
            self._receive_update(update.to_json())
        if updates:
            # Telegram's order, not the largest number: after a week without
            # updates it restarts the numbering, possibly lower.
            self.write({"last_update_id": updates[-1].update_id,
                        "last_update_date": fields.Datetime.now()})
        return len(updates)

    def _poll_offset(self):
        """The offset confirming what was received; none after a week
        without updates, when Telegram numbers the next update anew (an
        offset above it would drop it unseen)."""
        quiet_since = fields.Datetime.now() - timedelta(days=NUMBERING_RESTART_DAYS)
        if not self.last_update_id or (self.last_update_date or quiet_since) <= quiet_since:
            return None
        return self.last_update_id + 1

    @api.model
    def _cron_poll(self):
        for bot in self.search([("mode", "=", "polling")]):
            try:
                bot._poll()
            except TelegramError as error:
                _logger.warning("Polling Telegram bot %s failed: %s", bot.id, bot._describe(error))
