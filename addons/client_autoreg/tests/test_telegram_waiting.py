# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A reply that cannot leave yet says so at once, and why, in words an
agent understands; the library's error stays available as technical
details."""

from unittest.mock import patch

from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

from odoo.tests import new_test_user

from .common_telegram import TelegramCase


class TestTelegramWaiting(TelegramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env, login="tg_waiting_agent", name="Agent Neha",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
        )

    def request_of(self, user, phone):
        self.register_chat(user, phone)
        ticket = self.deliver(self.updates.text(user, "My washing machine leaks")).ticket_id
        self.flush_outbox()
        return ticket

    def reply(self, ticket, text):
        ticket.with_user(self.agent).message_post(
            body=text, message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        return ticket.autoreg_telegram_message_ids.filtered(lambda msg: msg.text == text)

    def test_reply_behind_a_failed_one_says_it_waits_at_once(self):
        ticket = self.request_of(self.meera, "+919822200101")
        self.api.down = True
        first = self.reply(ticket, "A technician comes at 10.")
        self.flush_outbox()
        self.assertEqual(first.state, "error")

        second = self.reply(ticket, "Please keep the receipt.")  # not sent yet: queued behind

        self.assertEqual((second.state, second.attempt_count), ("pending", 0))
        self.assertEqual(
            second.delivery_status,
            "Waiting: an earlier message to this chat is not delivered yet.",
        )
        self.assertRegex(
            first.delivery_status, r"^Telegram could not be reached; retrying at \d")
        self.assertNotIn("Bad Gateway", first.delivery_status)
        self.assertIn("Bad Gateway", first.error_message)  # the technical details
        self.assertEqual(ticket.autoreg_telegram_undelivered, 2)

    def test_retry_time_is_shown_in_the_users_time_zone(self):
        ticket = self.request_of(self.meera, "+919822200102")
        self.api.down = True
        failed = self.reply(ticket, "Hello")
        self.flush_outbox()
        in_utc = failed.with_context(tz="UTC").delivery_status
        in_india = failed.with_context(tz="Asia/Kolkata").delivery_status
        self.assertNotEqual(in_utc, in_india)

    def test_queued_and_sent_messages(self):
        ticket = self.request_of(self.meera, "+919822200103")
        queued = self.reply(ticket, "On our way")
        self.assertEqual(queued.delivery_status, "Queued: sent within a minute.")
        self.flush_outbox()
        self.assertEqual(queued.state, "sent")
        self.assertFalse(queued.delivery_status)

    def test_each_failure_is_explained(self):
        ticket = self.request_of(self.meera, "+919822200104")
        cases = [
            (NetworkError("httpx.ConnectError: [Errno -2] Name or service not known"),
             "error", "Telegram could not be reached; retrying at"),
            (RetryAfter(30), "error", "Telegram asked to slow down; retrying at"),
            (InvalidToken("rejected by the server"), "error",
             "Telegram rejected the bot's token"),
            (Forbidden("Forbidden: bot was blocked by the user"), "failed",
             "Not delivered: the customer blocked the bot or left the chat."),
            (BadRequest("Chat not found"), "failed",
             "Not delivered: Telegram refused this message; it is not retried."),
        ]
        for error, state, status in cases:
            with self.subTest(error=type(error).__name__):
                message = self.reply(ticket, f"About {type(error).__name__}")
                with patch.object(type(self.bot), "_call", side_effect=error):
                    message._send_one()
                self.assertEqual(message.state, state)
                self.assertTrue(message.delivery_status.startswith(status),
                                message.delivery_status)
                self.assertNotIn("Name or service", message.delivery_status)
                message.unlink()

    def test_given_up_after_the_last_attempt(self):
        ticket = self.request_of(self.meera, "+919822200105")
        message = self.reply(ticket, "Last try")
        message.attempt_count = 7
        with patch.object(type(self.bot), "_call", side_effect=NetworkError("down")):
            message._send_one()
        self.assertEqual(message.state, "failed")
        self.assertEqual(
            message.delivery_status,
            "Not delivered after 8 attempts: an intake manager can send it again.",
        )

    def test_the_list_shows_the_delivery_in_words(self):
        Message = self.env["autoreg.telegram.message"]
        arch = Message.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="delivery_status"', arch)
