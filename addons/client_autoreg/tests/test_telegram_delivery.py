# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from datetime import timedelta

from freezegun import freeze_time
from telegram.error import InvalidToken

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common_telegram import TOKEN, TelegramCase


class TestTelegramDelivery(TelegramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env, login="tg_agent", name="Agent Ravi",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
        )

    def request_of(self, user, phone, text="My fridge is warm"):
        self.register_chat(user, phone)
        ticket = self.deliver(self.updates.text(user, text)).ticket_id
        self.flush_outbox()
        self.api.calls.clear()
        return ticket

    def test_staff_reply_reaches_the_chat_and_notes_do_not(self):
        ticket = self.request_of(self.meera, "+919822200011")
        self.env.invalidate_all()  # the agent reads nothing intake cached
        ticket.with_user(self.agent).message_post(
            body="A technician comes tomorrow at 10.", message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        ticket.with_user(self.agent).message_post(
            body="Internal: check the warranty", message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        self.flush_outbox()
        self.assertEqual(self.texts_to(self.meera), ["A technician comes tomorrow at 10."])
        delivery = ticket.autoreg_telegram_message_ids.filtered(lambda m: m.mail_message_id)
        self.assertEqual(delivery.state, "sent")
        self.assertTrue(delivery.telegram_message_id)

    def test_bot_api_down_then_recovered_delivers_later(self):
        ticket = self.request_of(self.meera, "+919822200022")
        self.api.down = True
        ticket.with_user(self.agent).message_post(
            body="Your part has arrived.", message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.flush_outbox()
        delivery = ticket.autoreg_telegram_message_ids.filtered(lambda m: m.mail_message_id)
        self.assertEqual(delivery.state, "error")
        self.assertIn("Bad Gateway", delivery.error_message)
        self.assertEqual(ticket.autoreg_telegram_undelivered, 1)

        self.api.down = False
        self.flush_outbox()  # not due yet: nothing is sent before its retry time
        self.assertEqual(self.texts_to(self.meera), [])
        with freeze_time(fields.Datetime.now() + timedelta(minutes=5)):
            self.flush_outbox()
        self.assertEqual(self.texts_to(self.meera), ["Your part has arrived."])
        self.assertEqual(delivery.state, "sent")
        ticket.invalidate_recordset(["autoreg_telegram_undelivered"])
        self.assertEqual(ticket.autoreg_telegram_undelivered, 0)

    def test_messages_of_a_chat_keep_their_order_after_a_failure(self):
        ticket = self.request_of(self.meera, "+919822200033")
        self.api.down = True
        for text in ("one", "two"):
            ticket.with_user(self.agent).message_post(
                body=text, message_type="comment", subtype_xmlid="mail.mt_comment")
        self.flush_outbox()
        self.api.down = False
        with freeze_time(fields.Datetime.now() + timedelta(minutes=5)):
            self.flush_outbox()
        self.assertEqual(self.texts_to(self.meera), ["one", "two"])

    def test_long_reply_is_sent_in_pieces_telegram_accepts(self):
        ticket = self.request_of(self.meera, "+919822200055")
        long_text = "\n".join(f"Step {n}: " + "x" * 90 for n in range(80))  # ~8,000 chars
        ticket.with_user(self.agent).message_post(
            body=long_text, message_type="comment", subtype_xmlid="mail.mt_comment")
        self.flush_outbox()
        pieces = self.texts_to(self.meera)
        self.assertEqual(len(pieces), 2)
        self.assertTrue(all(len(piece) <= 4096 for piece in pieces))
        self.assertEqual("\n".join(pieces), long_text)

    def test_a_waiting_chat_does_not_hold_up_the_others(self):
        ticket = self.request_of(self.meera, "+919822200066")
        self.api.down = True
        for text in ("first", "second", "third"):
            ticket.with_user(self.agent).message_post(
                body=text, message_type="comment", subtype_xmlid="mail.mt_comment")
        self.flush_outbox()  # "first" fails and waits for its retry time
        self.api.down = False
        other = {"id": 5550999, "first_name": "Zoya", "language_code": "en"}
        self.deliver(self.updates.text(other, "/start"))  # queued after meera's
        self.api.calls.clear()
        self.env["autoreg.telegram.message"]._cron_send(limit=2)
        self.assertFalse(self.texts_to(self.meera))  # nothing overtakes "first"
        self.assertTrue(self.texts_to(other))

    def test_resending_by_hand_gives_all_attempts_again(self):
        ticket = self.request_of(self.meera, "+919822200088")
        self.api.down = True
        ticket.with_user(self.agent).message_post(
            body="Hello", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.flush_outbox()
        failed = ticket.autoreg_telegram_message_ids.filtered(lambda m: m.state == "error")
        failed.action_retry()
        self.assertEqual((failed.state, failed.attempt_count), ("pending", 0))

    def test_only_administrators_choose_where_the_token_is_sent(self):
        manager = new_test_user(self.env, login="tg_manager", name="Intake Manager",
                                groups="base.group_user,client_autoreg.group_autoreg_manager")
        with self.assertRaises(AccessError):
            self.bot.with_user(manager).write({"api_url": "http://attacker.example"})
        self.api.updates.append(self.updates.text(self.meera, "/start"))
        self.bot.mode = "polling"
        self.bot.with_user(manager).action_poll()  # managers may poll
        self.assertEqual(self.bot.last_update_id, self.api.updates[-1]["update_id"])

    def test_rejected_token_is_never_shown(self):
        self.bot.token = "7000001:WRONG-secret-token"
        ticket = self.request_of(self.meera, "+919822200044")
        failed = self.env["autoreg.telegram.message"].search(
            [("bot_id", "=", self.bot.id), ("state", "=", "error")])
        self.assertIn("rejected by the server", failed.error_message)
        self.assertNotIn("WRONG-secret-token", failed.error_message)
        self.assertIn(ticket.number, failed.chat_id._texts(ticket.number)["received"])
        self.bot.token = TOKEN

    def test_token_stays_out_of_the_logs_even_in_debug(self):
        with self.assertLogs(level="DEBUG") as logs:
            logging.getLogger(__name__).debug("calling the Bot API")
            self.bot._call("get_me")
            self.bot.token = "7000001:WRONG-secret-token"
            with self.assertRaises(InvalidToken):
                self.bot._call("get_me")
        self.assertNotIn("WRONG-secret-token", "\n".join(logs.output))
        self.assertNotIn(TOKEN.split(":")[1], "\n".join(logs.output))
        self.bot.token = TOKEN

    def test_check_connection_reads_the_bot_name(self):
        self.bot.action_check_connection()
        self.assertEqual(self.bot.username, "autoreg_test_bot")

    def test_set_webhook_sends_url_and_secret(self):
        self.bot._set_webhook(f"{self.api.url}/hook")
        self.assertEqual(self.api.webhook["secret_token"], self.bot.webhook_secret)
        self.assertEqual(self.api.webhook["allowed_updates"], ["message"])

