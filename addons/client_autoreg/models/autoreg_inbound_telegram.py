# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Telegram specifics of the intake corridor.

An update is stored as Telegram sent it (key: bot and ``update_id``), then
processed: the first contact is greeted and asked for their phone number;
messages sent before they share it wait; the shared number links the chat
to a contact (matched by phone, else created), and from then on every
message goes through the corridor to the customer's open request.
"""

import json
import textwrap

from telegram import Update
from telegram.constants import ChatType

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

# What Telegram calls the files a message can carry, and a name for each
# when the customer's app gives none.
MEDIA_NAMES = {
    "document": "document_{id}",
    "photo": "photo_{id}.jpg",
    "voice": "voice_{id}.ogg",
    "audio": "audio_{id}.mp3",
    "video": "video_{id}.mp4",
    "video_note": "video_note_{id}.mp4",
}
MAX_UPDATE_BYTES = 1024 * 1024
TELEGRAM_CONSENT_TEXT = "/subscribe: the customer asked the bot for the newsletter by email."


class AutoregInbound(models.Model):
    _inherit = "autoreg.inbound"

    state = fields.Selection(
        selection_add=[("waiting", "Waiting for the phone number")],
        ondelete={"waiting": "set default"},
    )
    telegram_bot_id = fields.Many2one(
        comodel_name="autoreg.telegram.bot", string="Telegram bot", readonly=True,
        ondelete="set null", index="btree_not_null",
    )
    telegram_chat_id = fields.Many2one(
        comodel_name="autoreg.telegram.chat", string="Telegram chat", readonly=True,
        ondelete="set null", index="btree_not_null",
    )

    # ------------------------------------------------------------------
    # Receiving an update
    # ------------------------------------------------------------------

    @api.model
    def _receive_telegram(self, bot, raw):
        """Store the update ``raw`` (JSON text) received by ``bot``.

        :raise ValueError: when ``raw`` is not a Telegram update
        """
        update = self._telegram_update(raw)
        message = update.effective_message
        chat = update.effective_chat
        text = message and (message.text or message.caption) or ""
        return self._receive(
            bot.channel_id,
            f"{bot.id}:{update.update_id}",
            {
                "payload": raw,
                "telegram_bot_id": bot.id,
                "team_id": bot.team_id.id,
                "company_id": bot.company_id.id,
                "external_ref": chat and str(chat.id),
                "sender_name": update.effective_user and update.effective_user.full_name,
                "subject": textwrap.shorten(text.split("\n")[0], 60, placeholder="…") or False,
                "body": plaintext2html(text) if text else False,
            },
        )

    @api.model
    def _telegram_update(self, raw):
        if len(raw) > MAX_UPDATE_BYTES:
            raise ValueError("The update is too large.")
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise ValueError(f"The update is not JSON: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("The update has no update_id.")
        try:
            return Update.de_json(data, None)
        except (TypeError, KeyError, ValueError, AttributeError) as error:
            raise ValueError(f"The update is malformed: {error}") from None

    # ------------------------------------------------------------------
    # Processing: the conversation, then the corridor
    # ------------------------------------------------------------------

    def _process_one(self):
        if not self.telegram_bot_id:
            return super()._process_one()
        update = Update.de_json(json.loads(self.payload), None)
        message = update.message
        if not (message and message.from_user):
            return self._ignore(_("Not a message from a person (edit, channel post…)"))
        if message.chat.type != ChatType.PRIVATE:
            return self._ignore(_("The bot only serves private chats"))
        chat = self.env["autoreg.telegram.chat"]._of_update(
            self.telegram_bot_id, message.chat, message.from_user
        )
        self.telegram_chat_id = chat
        if message.contact:
            return self._telegram_link_contact(chat, message)
        if chat.state != "linked" or not chat.partner_id:
            return self._telegram_ask_phone(chat, message)
        if self._telegram_is_start(message):
            chat._say(chat._texts()["greeting"])
            return self._ignore(_("Conversation started"))
        if self._telegram_command(message) == "/subscribe":
            return self._telegram_subscribe(chat, message)
        self._telegram_fetch_files(message)
        if not (self.body or self.attachment_ids):
            return self._ignore(_("Nothing to register (sticker, location…)"))
        self.partner_id = chat.partner_id
        return super()._process_one()

    def _ignore(self, reason):
        self.write(
            {"state": "ignored", "filter_reason": reason, "processed_date": fields.Datetime.now()}
        )

    @api.model
    def _telegram_command(self, message):
        """``/start``, ``/subscribe``... (without the bot's @name), or ''."""
        word = (message.text or "").split(" ")[0]
        return word.split("@")[0].lower() if word.startswith("/") else ""

    @api.model
    def _telegram_is_start(self, message):
        return self._telegram_command(message) == "/start"

    def _telegram_subscribe(self, chat, message):
        """``/subscribe [email]``: the customer asks for the newsletter."""
        partner = chat.partner_id
        self.partner_id = partner
        # An address typed in the chat is confirmed by email before anything
        # is sent to it, and never becomes the contact's address: matching
        # by email must not hand someone else's mail to this chat.
        typed = tools.email_normalize((message.text or "").partition(" ")[2].strip())
        if not (typed or partner.email):
            chat._say(chat._texts()["subscribe_email"])
            return self._ignore(_("Newsletter: the customer has no email address yet"))
        consents = self.env["autoreg.consent"]._record(
            partner, self.channel_id, self, TELEGRAM_CONSENT_TEXT,
            email=typed or partner.email, verified=not typed,
        )
        key = "subscribe_pending" if "pending" in consents.mapped("state") else "subscribed"
        if consents and set(consents.mapped("state")) == {"refused"}:
            key = "subscribe_refused"
        chat._say(chat._texts()[key])
        return self._ignore(_("Newsletter consent given"))

    def _telegram_ask_phone(self, chat, message):
        """A customer we do not know yet: greet, ask for the phone number,
        and keep what they wrote until they share it."""
        texts = chat._texts()
        if chat.state == "new":
            chat._say(texts["greeting"])
            chat.state = "awaiting_phone"
        if not chat._last_message_asked_phone():
            chat._say(texts["phone_prompt"], ask_phone=True)
        if self._telegram_is_start(message):
            return self._ignore(_("Conversation started"))
        self.write({"state": "waiting", "filter_reason": _("Waiting for the phone number")})

    def _telegram_link_contact(self, chat, message):
        contact = message.contact
        if contact.user_id != message.from_user.id:
            chat._say(chat._texts()["foreign_contact"], ask_phone=True)
            return self._ignore(_("Shared the contact of someone else"))
        phone = contact.phone_number.strip()
        if not phone.startswith("+"):
            phone = "+" + phone  # Telegram sends international numbers, without the +
        partner = self.env["res.partner"]._autoreg_find_or_create(
            {
                "name": " ".join(filter(None, (contact.first_name, contact.last_name)))
                or message.from_user.full_name,
                "phone": phone,
                "country": self.company_id.country_id,
            },
            self.company_id,
            allow_create=True,
        )
        if not partner:
            chat._say(chat._texts()["invalid_phone"], ask_phone=True)
            return self._ignore(_("The shared phone number is not valid"))
        chat.write({"partner_id": partner.id, "phone": partner.phone_sanitized or phone,
                    "state": "linked"})
        chat._say(chat._texts()["linked"])
        self.write({"partner_id": partner.id})
        self._ignore(_("Phone number shared: the chat is linked to the contact"))
        self._telegram_release_waiting(chat)

    def _telegram_release_waiting(self, chat):
        """What the customer wrote before sharing their number goes through now."""
        waiting = self.search(
            [("telegram_chat_id", "=", chat.id), ("state", "=", "waiting")], order="id"
        )
        waiting.write({"state": "received", "filter_reason": False})
        waiting._process()

    def _telegram_fetch_files(self, message):
        """Download the files of ``message`` (getFile) as attachments."""
        bot = self.telegram_bot_id
        for kind, name_pattern in MEDIA_NAMES.items():
            media = getattr(message, kind, None)
            if not media:
                continue
            if kind == "photo":
                media = media[-1]  # the largest size
            # A failed download fails the whole attempt (savepoint): nothing
            # half-stored, and the next attempt downloads again.
            _file, content = bot._call("get_file", file_id=media.file_id)
            name = getattr(media, "file_name", None) or name_pattern.format(
                id=media.file_unique_id
            )
            self._store_attachments(
                [
                    {
                        "name": name,
                        "raw": content,
                        "mimetype": getattr(media, "mime_type", None),
                    }
                ]
            )
        if not self.subject and self.attachment_ids:
            self.subject = _("Files from %(name)s", name=self.sender_name or "?")

    def _register_request(self, team):
        ticket, created = super()._register_request(team)
        chat = self.telegram_chat_id
        if chat:
            if ticket.autoreg_telegram_chat_id != chat:
                ticket.autoreg_telegram_chat_id = chat
            if created:
                chat._say(chat._texts(number=ticket.number)["received"], ticket=ticket)
        return ticket, created

    def _check_reviewable(self):
        result = super()._check_reviewable()
        # sudo: the reviewer's rights were checked above; this only reads
        # which door the messages came through.
        if any(rec.telegram_bot_id for rec in self.sudo()):
            raise UserError(_("Telegram messages are not reviewed: the phone number links them."))
        return result
