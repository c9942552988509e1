# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""/book in Telegram against the loopback Bot API: services, free times as
inline buttons, booking through the same path as the website, a time taken
meanwhile, cancelling from the chat."""

import time
from datetime import datetime, timedelta

from odoo.tests import new_test_user, tagged

from .common_telegram import TelegramCase


@tagged("post_install", "-at_install")
class TestBookingTelegram(TelegramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        calendar = cls.env["resource.calendar"].create({
            "name": "Telegram bookings", "tz": "UTC",
            "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": str(day), "dayofweek": str(day), "hour_from": 0,
                        "hour_to": 24, "day_period": "morning"}) for day in range(7)],
        })
        cls.member = new_test_user(cls.env, login="tg_booking_member", name="Kiran Booking",
                                   groups="base.group_user,helpdesk_mgmt.group_helpdesk_user")
        cls.env["resource.resource"].create({"name": cls.member.name, "user_id": cls.member.id,
                                             "calendar_id": calendar.id, "tz": "UTC"})
        cls.team.user_ids = cls.member
        cls.env["autoreg.web.service"].search([("kind", "=", "appointment")]).active = False
        cls.service = cls.env["autoreg.web.service"].create({
            "name": "Eye test", "kind": "appointment", "duration": 1.0, "step_minutes": 60,
            "notice_hours": 1, "horizon_days": 10, "member_ids": [(6, 0, cls.member.ids)],
        })
        cls.ravi = {"id": 5550002, "first_name": "Ravi", "language_code": "en"}

    def press(self, user, data):
        """The customer presses an inline button of the bot's message."""
        update_id = next(self.updates._ids)
        return self.deliver({
            "update_id": update_id,
            "callback_query": {
                "id": f"cb{update_id}", "chat_instance": "ci", "data": data,
                "from": {"is_bot": False, **user},
                "message": {"message_id": 90000 + update_id, "date": int(time.time()),
                            "chat": {"id": user["id"], "type": "private"},
                            "from": {"id": 1, "is_bot": True, "first_name": "Bot"},
                            "text": "…"},
            },
        })

    def last_buttons(self, user):
        self.flush_outbox()
        sent = [call for call in self.api.sent() if int(call["chat_id"]) == user["id"]]
        markup = sent[-1].get("reply_markup") or {}
        return sent[-1]["text"], [row[0] for row in markup.get("inline_keyboard", [])]

    def test_book_choose_service_and_time_then_cancel_from_the_chat(self):
        chat = self.register_chat(self.meera, "+91 98111 22301")
        self.deliver(self.updates.text(self.meera, "/book"))
        text, buttons = self.last_buttons(self.meera)
        self.assertIn("Which service", text)
        self.assertEqual([button["text"] for button in buttons], ["Eye test"])

        self.press(self.meera, buttons[0]["callback_data"])
        # the press is acknowledged, so that the button stops spinning
        self.assertEqual(len(self.api.sent("answerCallbackQuery")), 1)
        text, times = self.last_buttons(self.meera)
        self.assertIn("Free times for Eye test", text)
        self.assertEqual(len(times), 6)
        first = datetime.strptime(times[0]["callback_data"].rsplit(":", 1)[1], "%Y%m%d%H%M")
        self.assertGreater(first, datetime.utcnow() + timedelta(hours=1))

        inbound = self.press(self.meera, times[0]["callback_data"])
        self.assertEqual(inbound.state, "done")
        booking = self.env["autoreg.booking"].search([("inbound_id", "=", inbound.id)])
        self.assertEqual((booking.start, booking.user_id, booking.partner_id),
                         (first, self.member, chat.partner_id))
        self.assertEqual(inbound.ticket_id.user_id, self.member)
        self.assertEqual(inbound.ticket_id.autoreg_telegram_chat_id, chat)
        self.assertEqual(set(booking.calendar_event_id.attendee_ids.mapped("state")),
                         {"accepted"})
        text, cancel = self.last_buttons(self.meera)
        self.assertIn("Booked: Eye test", text)

        self.press(self.meera, cancel[0]["callback_data"])
        self.assertEqual(booking.state, "cancelled")
        self.assertIn("is cancelled", self.last_buttons(self.meera)[0])
        # the button pressed again says so
        self.press(self.meera, cancel[0]["callback_data"])
        self.assertIn("cancelled already", self.last_buttons(self.meera)[0])

    def test_time_taken_meanwhile_gets_the_next_free_times(self):
        self.register_chat(self.meera, "+91 98111 22302")
        self.register_chat(self.ravi, "+91 98111 22303")
        self.deliver(self.updates.text(self.ravi, "/book"))
        _text, services = self.last_buttons(self.ravi)
        self.press(self.ravi, services[0]["callback_data"])
        _text, times = self.last_buttons(self.ravi)
        # Meera books the time Ravi is looking at
        self.press(self.meera, times[0]["callback_data"])
        late = self.press(self.ravi, times[0]["callback_data"])
        self.assertEqual(late.state, "ignored")
        self.assertFalse(late.ticket_id or late.calendar_event_id)
        text, offered = self.last_buttons(self.ravi)
        self.assertIn("just taken", text)
        self.assertNotIn(times[0]["callback_data"], [b["callback_data"] for b in offered])

    def test_cancel_button_of_another_customer_does_nothing(self):
        self.register_chat(self.meera, "+91 98111 22304")
        self.register_chat(self.ravi, "+91 98111 22305")
        self.deliver(self.updates.text(self.meera, "/book"))
        self.press(self.meera, self.last_buttons(self.meera)[1][0]["callback_data"])
        self.press(self.meera, self.last_buttons(self.meera)[1][0]["callback_data"])
        booking = self.env["autoreg.booking"].search([("service_id", "=", self.service.id)])
        forged = self.press(self.ravi, f"book:c:{booking.id}")
        self.assertEqual(forged.state, "ignored")
        self.assertEqual(booking.state, "booked")

    def test_unknown_chat_pressing_a_button_is_asked_for_the_phone(self):
        self.press(self.ravi, f"book:s:{self.service.id}")
        self.flush_outbox()
        self.assertFalse(self.env["autoreg.booking"].search_count(
            [("service_id", "=", self.service.id)]))
        self.assertIn("share your phone number", self.texts_to(self.ravi)[-1])
