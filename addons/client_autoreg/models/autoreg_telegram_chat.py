# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A customer's chat with a bot, linked to their contact once they shared
their phone number, and what the bot says to them in their language."""

import json

from odoo import api, fields, models

STATES = [
    ("new", "New"),
    ("awaiting_phone", "Waiting for the phone number"),
    ("linked", "Linked to a contact"),
]


class AutoregTelegramChat(models.Model):
    _name = "autoreg.telegram.chat"
    _description = "Telegram Chat"
    _order = "id desc"
    _rec_name = "display_label"

    bot_id = fields.Many2one(
        comodel_name="autoreg.telegram.bot", required=True, readonly=True, ondelete="cascade"
    )
    chat_id = fields.Char(string="Chat ID", required=True, readonly=True)
    telegram_user_id = fields.Char(string="Telegram user ID", readonly=True)
    username = fields.Char(readonly=True)
    name = fields.Char(readonly=True)
    language_code = fields.Char(readonly=True, help="The language of the customer's Telegram.")
    phone = fields.Char(readonly=True, help="The number the customer shared (E.164).")
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Contact", index="btree_not_null", ondelete="set null"
    )
    state = fields.Selection(selection=STATES, default="new", required=True, readonly=True)
    display_label = fields.Char(compute="_compute_display_label")
    company_id = fields.Many2one(related="bot_id.company_id", store=True)

    _sql_constraints = [
        ("chat_unique", "UNIQUE(bot_id, chat_id)", "A chat is linked once per bot."),
    ]

    @api.depends("name", "username", "chat_id")
    def _compute_display_label(self):
        for chat in self:
            handle = f"@{chat.username}" if chat.username else chat.chat_id
            chat.display_label = f"{chat.name} ({handle})" if chat.name else handle

    @api.model
    def _of_update(self, bot, tg_chat, tg_user):
        """The chat record of a Telegram chat, created at first contact."""
        self.env["autoreg.lock"]._acquire(f"telegram-chat:{bot.id}:{tg_chat.id}")
        chat = self.search([("bot_id", "=", bot.id), ("chat_id", "=", str(tg_chat.id))])
        values = {
            "telegram_user_id": tg_user and str(tg_user.id),
            "username": tg_user and tg_user.username,
            "name": tg_user and tg_user.full_name,
            "language_code": tg_user and tg_user.language_code,
        }
        if chat:
            changed = {key: value for key, value in values.items() if value and chat[key] != value}
            if changed:
                chat.write(changed)
            return chat
        return self.create({**values, "bot_id": bot.id, "chat_id": str(tg_chat.id)})

    # ------------------------------------------------------------------
    # What the bot says, in the customer's language
    # ------------------------------------------------------------------

    def _lang(self):
        """The installed Odoo language closest to the customer's Telegram
        language, else the bot's fallback, else the company's."""
        self.ensure_one()
        code = (self.language_code or "").replace("-", "_").lower()
        if code:
            langs = self.env["res.lang"].sudo().search([("active", "=", True)])
            for lang in langs:
                if lang.code.lower() == code:
                    return lang.code
            for lang in langs:
                if code.split("_")[0] in (lang.iso_code.lower(), lang.code.split("_")[0].lower()):
                    return lang.code
        return (
            self.bot_id.lang_id.code
            or self.partner_id.lang
            or self.bot_id.company_id.partner_id.lang
            or "en_US"
        )

    def _texts(self, number=""):
        """The bot's sentences, translated to the customer's language;
        ``number``: the request the customer's message went to."""
        self.ensure_one()
        chat = self.with_context(lang=self._lang())
        bot = chat.bot_id.with_context(lang=chat.env.context["lang"])
        env = chat.env
        return {
            "greeting": bot.greeting or env._(
                "Hello! This is %(company)s. We are glad to help you here.",
                company=bot.company_id.name,
            ),
            "phone_prompt": bot.phone_prompt or env._(
                "To register you as our customer, please share your phone number "
                "with the button below."
            ),
            "phone_button": env._("Share my phone number"),
            "linked": env._(
                "Thank you, %(name)s! Your number %(phone)s is registered. "
                "Write your request and we will answer here.",
                name=chat.partner_id.name or "",
                phone=chat.phone or "",
            ),
            "linked_portal": env._(
                "Thank you, %(name)s! This chat is now linked to your customer "
                "account. Write your request and we will answer here.",
                name=chat.partner_id.name or "",
            ),
            "foreign_contact": env._(
                "Sorry, we can only register your own phone number. "
                "Please share it with the button below."
            ),
            "invalid_phone": env._(
                "Sorry, we could not read this phone number. "
                "Please share it with the button below."
            ),
            "subscribe_email": env._(
                "To receive our newsletter, send /subscribe followed by your email address."
            ),
            "subscribed": env._("You are subscribed to our newsletter. Thank you!"),
            "unsubscribed": env._(
                "Done: you will not receive our newsletter any more. Send /subscribe "
                "to get it again."
            ),
            "subscribe_pending": env._(
                "Please confirm your subscription with the link we sent to your email."
            ),
            "subscribe_refused": env._(
                "We cannot send our newsletter to your email address."
            ),
            "received": env._(
                "Thank you, we received your message (request %(number)s).", number=number
            ),
        }

    def _say(self, text, ask_phone=False, ticket=None, message=None):
        """Queue ``text`` for this chat; the send job delivers it."""
        self.ensure_one()
        reply_markup = False
        if ask_phone:
            reply_markup = self._phone_keyboard()
        return self.env["autoreg.telegram.message"].create(
            {
                "chat_id": self.id,
                "text": text,
                "reply_markup": reply_markup,
                "ticket_id": ticket and ticket.id,
                "mail_message_id": message and message.id,
            }
        )

    def _last_message_asked_phone(self):
        """Whether the bot's last message is still the phone request (no
        need to repeat it to someone who keeps writing)."""
        self.ensure_one()
        last = self.env["autoreg.telegram.message"].search(
            [("chat_id", "=", self.id)], order="id desc", limit=1
        )
        return bool(last.reply_markup)

    def _phone_keyboard(self):
        return json.dumps(
            {
                "keyboard": [[{"text": self._texts()["phone_button"], "request_contact": True}]],
                "one_time_keyboard": True,
                "resize_keyboard": True,
            }
        )
