# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Booking in the Telegram chat: ``/book``, then inline buttons.

``/book`` lists the services as buttons; a service's button lists its next
free times; a time's button books it through the same path as the website
(``autoreg.booking._run_booked_corridor``); the confirmation carries a
button to cancel. Button presses arrive as ``callback_query`` updates,
stored and processed like any other update of the Telegram door. Every
button is re-checked when pressed: a time taken meanwhile is answered with
the next free ones.

Callback data (64 bytes at most): ``book:s:<service>``,
``book:t:<service>:<YYYYmmddHHMM UTC>``, ``book:c:<booking>``.
"""

import json
import logging
from datetime import datetime

from telegram.error import TelegramError

from odoo import api, models
from odoo.tools import format_datetime
from odoo.tools.translate import LazyTranslate

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__)

PREFIX = "book:"
TIMES_OFFERED = 6


class AutoregBookingTelegram(models.AbstractModel):
    _name = "autoreg.booking.telegram"
    _description = "Appointment Booking in Telegram"

    # ------------------------------------------------------------------
    # /book
    # ------------------------------------------------------------------

    @api.model
    def _on_book(self, inbound, chat):
        """``/book``: the services that can be booked, as buttons."""
        inbound.partner_id = chat.partner_id
        env = chat.with_context(lang=chat._lang()).env
        services = env["autoreg.web.service"].search([
            ("kind", "=", "appointment"),
            ("company_id", "in", [chat.bot_id.company_id.id, False]),
        ])
        if not services:
            chat._say(env._("Sorry, no service can be booked here at the moment."))
        else:
            self._say_with_buttons(chat, env._("Which service would you like to book?"), [
                [{"text": service.name, "callback_data": f"{PREFIX}s:{service.id}"}]
                for service in services
            ])
        return inbound._finish("ignored", _lt("Booking: services offered"))

    # ------------------------------------------------------------------
    # Button presses
    # ------------------------------------------------------------------

    @api.model
    def _is_callback(self, inbound):
        """Whether ``inbound`` is the press of one of these buttons."""
        try:
            data = json.loads(inbound.payload or "{}")
        except ValueError:
            return False
        query = isinstance(data, dict) and data.get("callback_query")
        return isinstance(query, dict) and str(query.get("data", "")).startswith(PREFIX)

    @api.model
    def _on_callback(self, inbound):
        update = self.env["autoreg.door.telegram"]._parse_update(inbound.payload)
        query = update.callback_query
        if not (query.message and query.from_user):
            return inbound._finish("ignored", _lt("Booking: button of an unknown chat"))
        self._answer_press(inbound.telegram_bot_id, query)
        chat = self.env["autoreg.telegram.chat"]._of_update(
            inbound.telegram_bot_id, query.message.chat, query.from_user
        )
        inbound.telegram_chat_id = chat
        if chat.state != "linked" or not chat.partner_id:
            return self.env["autoreg.door.telegram"]._ask_phone(inbound, chat, query.message)
        inbound.partner_id = chat.partner_id
        kind, _sep, rest = query.data[len(PREFIX):].partition(":")
        handler = {"s": self._offer_times, "t": self._book_time, "c": self._cancel}.get(kind)
        if not handler:
            return inbound._finish("ignored", _lt("Booking: unknown button"))
        return handler(inbound, chat, rest)

    @api.model
    def _answer_press(self, bot, query):
        """Tell Telegram the press arrived, so that the button stops spinning;
        the answer itself comes as a message. A press already answered (a
        retried transaction) or an unreachable API changes nothing."""
        try:
            bot._call("answer_callback_query", callback_query_id=query.id)
        except (TelegramError, OSError) as error:
            _logger.info("Button press %s not acknowledged: %s", query.id, bot._describe(error))

    @api.model
    def _offer_times(self, inbound, chat, rest, intro=None):
        env = chat.with_context(lang=chat._lang()).env
        service = self._service(rest.split(":")[0])
        if not service:
            chat._say(env["autoreg.booking.slot"]._refusal_message("service"))
            return inbound._finish("ignored", _lt("Booking: service not offered"))
        slots = env["autoreg.booking.slot"]._next_free(service, limit=TIMES_OFFERED)
        if not slots:
            chat._say(env._("Sorry, %(service)s has no free time in the coming days.",
                            service=service.name))
            return inbound._finish("ignored", _lt("Booking: no free time"))
        tz_name = self._tz(chat)
        text = env._("Free times for %(service)s (%(tz)s):", service=service.name, tz=tz_name)
        self._say_with_buttons(chat, f"{intro}\n{text}" if intro else text, [
            [{"text": self._label(env, slot.start, tz_name),
              "callback_data": f"{PREFIX}t:{service.id}:{slot.start:%Y%m%d%H%M}"}]
            for slot in slots
        ])
        return inbound._finish("ignored", _lt("Booking: free times offered"))

    @api.model
    def _book_time(self, inbound, chat, rest):
        service_id, _sep, stamp = rest.partition(":")
        service = self._service(service_id, active_test=False)
        try:
            start = datetime.strptime(stamp, "%Y%m%d%H%M")
        except ValueError:
            return inbound._finish("ignored", _lt("Booking: unknown button"))
        env = chat.with_context(lang=chat._lang()).env
        inbound.write({
            "web_service_id": service.id,
            "web_start": start,
            "subject": env._("%(service)s for %(name)s", service=service.name,
                             name=chat.partner_id.name),
            "body": False,
        })
        refusal = self.env["autoreg.booking"]._run_booked_corridor(inbound)
        if refusal:
            if service.active:
                return self._offer_times(inbound, chat, service_id, intro=refusal.args[0])
            chat._say(refusal.args[0])
            return None
        booking = self.env["autoreg.booking"].search([("inbound_id", "=", inbound.id)], limit=1)
        tz_name = self._tz(chat)
        self._say_with_buttons(chat, env._(
            "Booked: %(service)s, %(when)s, with %(member)s.",
            service=service.name, when=self._label(env, booking.start, tz_name),
            member=booking.user_id.name,
        ), [[{"text": env._("Cancel this appointment"),
              "callback_data": f"{PREFIX}c:{booking.id}"}]])
        return None

    @api.model
    def _cancel(self, inbound, chat, rest):
        env = chat.with_context(lang=chat._lang()).env
        booking = self.env["autoreg.booking"].browse(int(rest) if rest.isdigit() else 0).exists()
        if not booking or booking.partner_id != chat.partner_id:
            return inbound._finish("ignored", _lt("Booking: not this customer's appointment"))
        refusal = booking.with_context(lang=chat._lang())._usable_refusal()
        if refusal:
            chat._say(refusal)
        else:
            booking._cancel()
            chat._say(env._("Your appointment of %(when)s is cancelled.",
                            when=self._label(env, booking.start, self._tz(chat))))
        return inbound._finish("ignored", _lt("Booking: cancelled from the chat"))

    # ------------------------------------------------------------------

    @api.model
    def _service(self, raw, active_test=True):
        service = self.env["autoreg.web.service"].with_context(active_test=active_test)
        service = service.browse(int(raw) if raw.isdigit() else 0).exists()
        return service.filtered(lambda svc: svc.kind == "appointment" and svc.active) \
            if active_test else service

    @api.model
    def _tz(self, chat):
        return chat.partner_id.tz or self.env["autoreg.booking.slot"]._company_tz(
            chat.bot_id.company_id
        )

    @staticmethod
    def _label(env, start, tz_name):
        return format_datetime(env, start, tz=tz_name, dt_format="EEE d MMM, HH:mm")

    @api.model
    def _say_with_buttons(self, chat, text, rows):
        return self.env["autoreg.telegram.message"].create({
            "chat_id": chat.id,
            "text": text,
            "reply_markup": json.dumps({"inline_keyboard": rows}),
        })
