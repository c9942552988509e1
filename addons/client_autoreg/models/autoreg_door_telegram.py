# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The Telegram door: an update becomes an inbound message here.

An update is stored as Telegram sent it (key: bot and ``update_id``), by the
webhook or by polling, then processed by the intake job: the first contact
is greeted and asked for their phone number; messages sent before they
share it wait; the shared number links the chat to a contact (matched by
phone, else created), and from then on every message goes through the
corridor to the customer's open request.
"""

import json
import textwrap

from markupsafe import Markup
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from odoo import _, api, fields, models, tools
from odoo.tools import LazyTranslate, html2plaintext, plaintext2html

from ..tools.stored_text import to_json

_lt = LazyTranslate(__name__)

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
TELEGRAM_MAX_TEXT = 4096  # characters per message, the Bot API's limit
TELEGRAM_CONSENT_TEXT = "/subscribe: the customer asked the bot for the newsletter by email."


class AutoregDoorTelegram(models.AbstractModel):
    _name = "autoreg.door.telegram"
    _inherit = "autoreg.door"
    _description = "Intake Door: Telegram"

    @api.model
    def _channel(self):
        return self.env.ref("client_autoreg.helpdesk_ticket_channel_telegram")

    # ------------------------------------------------------------------
    # Store: an update, from the webhook or from polling
    # ------------------------------------------------------------------

    @api.model
    def _store_update(self, bot, raw):
        """Store the update ``raw`` (JSON text) received by ``bot``.

        An update with an ``update_id`` that Telegram's library cannot read
        (a field of an unexpected type) is stored all the same: the intake
        job leaves it in the error state, with the reason.

        :return: ``(inbound, created)``
        :raise ValueError: when ``raw`` is not a Telegram update
        """
        data = self._update_data(raw)
        try:
            update = self._parse_update(raw)
        except ValueError:
            update = None
        return self.env["autoreg.inbound"]._store(
            "telegram",
            self._update_key(bot, data, update),
            {
                "payload": raw,
                "channel_id": bot.channel_id.id,
                "telegram_bot_id": bot.id,
                "team_id": bot.team_id.id,
                "company_id": bot.company_id.id,
                **self._update_summary(update),
            },
        )

    @api.model
    def _update_summary(self, update):
        """Chat, sender and text of ``update``, as far as they can be stored."""
        if not update:
            return {}
        message = update.effective_message
        chat = update.effective_chat
        user = update.effective_user
        text = _storable(message and (message.text or message.caption)) or ""
        return {
            "external_ref": _storable(chat and chat.id) or False,
            "sender_name": _storable(user and user.full_name) or False,
            "subject": textwrap.shorten(text.split("\n")[0], 60, placeholder="…") or False,
            "body": plaintext2html(text) if text else False,
        }

    @api.model
    def _update_key(self, bot, data, update=None):
        """Bot and ``update_id``: a redelivery of the update is the same
        message. Telegram restarts its numbering after a week without
        updates, so a number already stored for another update gets the
        update's date as well."""
        key = f"{bot.id}:{data['update_id']}"
        earlier = self.env["autoreg.inbound"]._of_key("telegram", key)
        if earlier and _fingerprint(json.loads(earlier.payload or "{}")) != _fingerprint(data):
            message = update and update.effective_message
            stamp = int(message.date.timestamp()) if message and message.date else 0
            key = f"{key}@{stamp}"
        return key

    @api.model
    def _update_data(self, raw):
        """The JSON object of an update, with its ``update_id``."""
        if len(raw) > MAX_UPDATE_BYTES:
            raise ValueError("The update is too large.")
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise ValueError(f"The update is not JSON: {error}") from None
        update_id = isinstance(data, dict) and data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise ValueError("The update has no update_id.")
        return data

    @api.model
    def _parse_update(self, raw):
        data = self._update_data(raw)
        try:
            return Update.de_json(data, None)
        except Exception as error:  # noqa: BLE001 - whatever the library fails on
            raise ValueError(f"The update is malformed: {error!r}") from None

    # ------------------------------------------------------------------
    # Process: the conversation, then the corridor
    # ------------------------------------------------------------------

    @api.model
    def _registers_unknown_senders(self):
        return True  # the contact comes from the phone number Telegram proved

    @api.model
    def _reviewable(self):
        return False

    @api.model
    def _process(self, inbound):
        if self.env["autoreg.booking.telegram"]._is_callback(inbound):
            return self.env["autoreg.booking.telegram"]._on_callback(inbound)
        message = self._parse_update(inbound.payload).message
        if not (message and message.from_user):
            return inbound._finish(
                "ignored", _lt("Not a message from a person (edit, channel post…)")
            )
        if message.chat.type != ChatType.PRIVATE:
            return inbound._finish("ignored", _lt("The bot only serves private chats"))
        chat = self.env["autoreg.telegram.chat"]._of_update(
            inbound.telegram_bot_id, message.chat, message.from_user
        )
        inbound.telegram_chat_id = chat
        if self._command(message) == "/privacy":
            return self._privacy(inbound, chat)
        if message.contact:
            return self._link_contact(inbound, chat, message)
        linked_by = self._deep_link_partner(inbound, message)
        if linked_by and chat.state != "linked":
            return self._link_signed_in_customer(inbound, chat, linked_by)
        if chat.state != "linked" or not chat.partner_id:
            return self._ask_phone(inbound, chat, message)
        command = self._command(message)
        if command == "/start":
            chat._say(chat._texts()["greeting"])
            return inbound._finish("ignored", _lt("Conversation started"))
        if command == "/subscribe":
            return self._subscribe(inbound, chat, message)
        if command == "/stop":
            return self._unsubscribe(inbound, chat)
        if command == "/book":
            return self.env["autoreg.booking.telegram"]._on_book(inbound, chat)
        self._fetch_files(inbound, message)
        if not (inbound.body or inbound.attachment_ids):
            return inbound._finish("ignored", _lt("Nothing to register (sticker, location…)"))
        inbound.partner_id = chat.partner_id
        return inbound._run_corridor()

    @api.model
    def _command(self, message):
        """``/start``, ``/subscribe``... (without the bot's @name), or ''."""
        word = (message.text or "").split(" ")[0]
        return word.split("@")[0].lower() if word.startswith("/") else ""

    @api.model
    def _deep_link_partner(self, inbound, message):
        """The customer a ``/start <payload>`` from the portal was signed for."""
        if self._command(message) != "/start":
            return self.env["res.partner"]
        payload = (message.text or "").partition(" ")[2].strip()
        return inbound.telegram_bot_id._partner_of_payload(payload)

    @api.model
    def _link_signed_in_customer(self, inbound, chat, partner):
        """The chat was opened from the customer's portal: link it to them."""
        self._link_chat(inbound, chat, partner, "linked_portal",
                        _lt("Chat opened from the portal: linked to the contact"))

    @api.model
    def _link_chat(self, inbound, chat, partner, text_key, reason, **chat_values):
        """Link ``chat`` to ``partner`` (once something proved who they
        are), thank them, and let what they wrote meanwhile through."""
        chat.write({**chat_values, "partner_id": partner.id, "state": "linked"})
        chat._say(chat._texts()[text_key])
        inbound.partner_id = partner
        inbound._finish("ignored", reason)
        self._release_waiting(chat)

    @api.model
    def _subscribe(self, inbound, chat, message):
        """``/subscribe [email]``: the customer asks for the newsletter."""
        partner = chat.partner_id
        inbound.partner_id = partner
        # An address typed in the chat is confirmed by email before anything
        # is sent to it, and never becomes the contact's address: matching
        # by email must not hand someone else's mail to this chat.
        typed = tools.email_normalize((message.text or "").partition(" ")[2].strip())
        if not (typed or partner.email):
            chat._say(chat._texts()["subscribe_email"])
            return inbound._finish(
                "ignored", _lt("Newsletter: the customer has no email address yet")
            )
        # Only an address proven on the contact is subscribed at once; a
        # typed one, or one nobody proved, is confirmed by email first.
        consents = inbound._give_consent(
            TELEGRAM_CONSENT_TEXT, email=typed or partner.email,
            verified=not typed and partner._autoreg_email_proven(),
        )
        key = "subscribe_pending" if "pending" in consents.mapped("state") else "subscribed"
        if consents and set(consents.mapped("state")) == {"refused"}:
            key = "subscribe_refused"
        chat._say(chat._texts()[key])
        return inbound._finish("ignored", _lt("Newsletter consent given"))

    @api.model
    def _unsubscribe(self, inbound, chat):
        """``/stop``: every newsletter consent of the customer is withdrawn."""
        inbound.partner_id = chat.partner_id
        consents = self.env["autoreg.consent"].search([
            ("partner_id", "=", chat.partner_id.id), ("state", "in", ("confirmed", "pending")),
        ])
        consents._withdraw(_("/stop sent to the Telegram bot"))
        chat._say(chat._texts()["unsubscribed"])
        return inbound._finish("ignored", _lt("Newsletter consent withdrawn"))

    @api.model
    def _privacy(self, inbound, chat):
        """``/privacy``, known customer or not: what is stored, and the
        company's privacy notice."""
        chat._say(chat._texts()["privacy"])
        return inbound._finish("ignored", _lt("Privacy notice sent"))

    @api.model
    def _ask_phone(self, inbound, chat, message):
        """A customer we do not know yet: greet, ask for the phone number,
        and keep what they wrote until they share it."""
        texts = chat._texts()
        if chat.state == "new":
            chat._say(texts["greeting"])
            chat.state = "awaiting_phone"
        if not chat._last_message_asked_phone():
            chat._say(texts["phone_prompt"], ask_phone=True)
        if self._command(message) == "/start":
            return inbound._finish("ignored", _lt("Conversation started"))
        inbound.write({"state": "waiting",
                       "filter_reason_data": to_json(_lt("Waiting for the phone number"))})

    @api.model
    def _link_contact(self, inbound, chat, message):
        contact = message.contact
        if contact.user_id != message.from_user.id:
            chat._say(chat._texts()["foreign_contact"], ask_phone=True)
            return inbound._finish("ignored", _lt("Shared the contact of someone else"))
        phone = contact.phone_number.strip()
        if not phone.startswith("+"):
            phone = "+" + phone  # Telegram sends international numbers, without the +
        partner = self.env["res.partner"]._autoreg_find_or_create(
            {
                "name": " ".join(filter(None, (contact.first_name, contact.last_name)))
                or message.from_user.full_name,
                "phone": phone,
                "region": inbound.company_id.country_id,
            },
            inbound.company_id,
            allow_create=True,
            # Telegram vouches for the number of the sender's own card. A
            # contact whose number was only typed is not linked: the chat
            # gets a contact of its own, listed as a likely duplicate.
            phone_proof="telegram",
        )
        if not partner:
            chat._say(chat._texts()["invalid_phone"], ask_phone=True)
            return inbound._finish("ignored", _lt("The shared phone number is not valid"))
        self._link_chat(
            inbound, chat, partner, "linked",
            _lt("Phone number shared: the chat is linked to the contact"),
            phone=partner.phone_sanitized or phone,
        )

    @api.model
    def _release_waiting(self, chat):
        """What the customer wrote before sharing their number goes through now."""
        waiting = self.env["autoreg.inbound"].search(
            [("telegram_chat_id", "=", chat.id), ("state", "=", "waiting")], order="id"
        )
        waiting.write({"state": "received", "filter_reason_data": False})
        waiting._process()

    @api.model
    def _fetch_files(self, inbound, message):
        """Download the files of ``message`` (getFile) as attachments. A file
        Telegram cannot hand over now does not hold the message back: the
        request is registered with its text and a word about the file, which
        the job adds to the request later (``_cron_fetch_missing_files``)."""
        bot = inbound.telegram_bot_id
        missing = []
        for kind, name_pattern in MEDIA_NAMES.items():
            media = getattr(message, kind, None)
            if not media:
                continue
            if kind == "photo":
                media = media[-1]  # the largest size
            name = getattr(media, "file_name", None) or name_pattern.format(
                id=media.file_unique_id
            )
            mimetype = getattr(media, "mime_type", None)
            try:
                _file, content = bot._call("get_file", file_id=media.file_id)
            except TelegramError as error:
                missing.append({"file_id": media.file_id, "name": name, "mimetype": mimetype,
                                "error": bot._describe(error)})
                continue
            inbound._store_attachments([{"name": name, "raw": content, "mimetype": mimetype}])
        if missing:
            names = ", ".join(item["name"] for item in missing)
            note = plaintext2html(_(
                "(Files not received yet from Telegram: %(names)s. They will be added "
                "to this request as soon as Telegram hands them over.)", names=names))
            inbound.write({"telegram_missing_files": json.dumps(missing),
                           "body": (inbound.body or Markup()) + note})
        if not inbound.subject and (inbound.attachment_ids or missing):
            inbound.subject = _("Files from %(name)s", name=inbound.sender_name or "?")

    @api.model
    def _cron_fetch_missing_files(self, give_up_days=2):
        """Add the files Telegram could not hand over at first to their
        requests; after ``give_up_days``, say on the request they are lost."""
        pending = self.env["autoreg.inbound"].search(
            [("telegram_missing_files", "!=", False), ("ticket_id", "!=", False)]
        )
        for inbound in pending:
            still_missing = []
            for item in json.loads(inbound.telegram_missing_files):
                try:
                    _file, content = inbound.telegram_bot_id._call(
                        "get_file", file_id=item["file_id"])
                except TelegramError:
                    still_missing.append(item)
                    continue
                attachment = self.env["ir.attachment"].create({
                    "name": item["name"], "raw": content, "mimetype": item.get("mimetype"),
                    "res_model": "helpdesk.ticket", "res_id": inbound.ticket_id.id,
                })
                inbound.ticket_id.message_post(
                    body=_("File received from Telegram: %(name)s", name=item["name"]),
                    author_id=inbound.partner_id.id, attachment_ids=attachment.ids,
                    message_type="comment", subtype_xmlid="mail.mt_note",
                )
            expired = inbound.create_date < fields.Datetime.subtract(
                fields.Datetime.now(), days=give_up_days)
            if still_missing and expired:
                inbound.ticket_id.message_post(
                    body=_("Telegram never handed over these files: %(names)s. Ask the "
                           "customer to send them again.",
                           names=", ".join(item["name"] for item in still_missing)),
                    subtype_xmlid="mail.mt_note",
                )
                still_missing = []
            inbound.telegram_missing_files = json.dumps(still_missing) if still_missing else False

    # ------------------------------------------------------------------
    # Answer: the chat follows the request
    # ------------------------------------------------------------------

    @api.model
    def _register_request(self, inbound, team):
        """A time chosen with ``/book`` is booked first (autoreg.booking)."""
        if inbound.web_start:
            return self.env["autoreg.booking"]._register_booked(
                inbound, team, super()._register_request
            )
        return super()._register_request(inbound, team)

    @api.model
    def _after_register(self, inbound, ticket, created):
        chat = inbound.telegram_chat_id
        if not chat:
            return
        if ticket.autoreg_telegram_chat_id != chat:
            ticket.autoreg_telegram_chat_id = chat
        if created:
            chat._say(chat._texts(number=ticket.number)["received"], ticket=ticket)

    @api.model
    def _relay_reply(self, ticket, message):
        """A staff reply on a request from Telegram is queued for the chat."""
        if not self._is_reply_to_chat(ticket, message):
            return
        text = html2plaintext(message.body or "").strip()
        if message.attachment_ids:
            names = ", ".join(message.attachment_ids.mapped("name"))
            text = f"{text}\n\n📎 {names}".strip()
        # sudo: any employee answering the request may queue the reply;
        # the queue itself is for intake managers.
        chat = ticket.sudo().autoreg_telegram_chat_id
        for chunk in _chunks(text, TELEGRAM_MAX_TEXT):
            chat._say(chunk, ticket=ticket, message=message)

    @api.model
    def _is_reply_to_chat(self, ticket, message):
        """A public message by someone else than the customer, on a request
        with a Telegram chat."""
        # sudo: any agent answering the request may not read intake's chats
        chat = ticket.sudo().autoreg_telegram_chat_id
        return bool(
            chat
            and chat.state == "linked"
            and message.message_type == "comment"
            and message.subtype_id
            and not message.subtype_id.internal
            and message.author_id != ticket.partner_id
            and message.author_id != chat.partner_id
        )


def _fingerprint(data):
    """What tells two updates apart beyond their number: the message's chat,
    id and date (a redelivery carries the same)."""
    message = next((value for name, value in data.items()
                    if name != "update_id" and isinstance(value, dict)), {})
    chat = message.get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else chat
    return (chat_id, message.get("message_id"), message.get("date"))


def _storable(value):
    """``value`` as text PostgreSQL can store (no NUL, no lone surrogate)."""
    if value is None or value is False:
        return None
    text = value if isinstance(value, str) else str(value)
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _chunks(text, size):
    """``text`` in pieces Telegram accepts, cut at line ends where possible."""
    while text:
        if len(text) <= size:
            yield text
            return
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        yield text[:cut]
        text = text[cut:].lstrip("\n")
