# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields

from .common_telegram import TelegramCase


class TestTelegramPolling(TelegramCase):
    def test_polling_stores_each_update_once(self):
        self.bot.mode = "polling"
        first = self.updates.text(self.meera, "/start")
        second = self.updates.text(self.meera, "hello")
        self.api.updates.extend([first, second])
        self.assertEqual(self.bot._poll(), 2)
        self.assertEqual(self.bot.last_update_id, second["update_id"])
        self.assertEqual(self.bot._poll(), 0)  # confirmed: Telegram drops them
        stored = self.Inbound.search([("telegram_bot_id", "=", self.bot.id)])
        self.assertEqual(sorted(stored.mapped("idempotency_key")),
                         [f"{self.bot.id}:{first['update_id']}",
                          f"{self.bot.id}:{second['update_id']}"])
        stored._process()
        self.assertEqual(stored.mapped("state"), ["waiting", "ignored"])

    def test_polling_follows_telegram_when_it_restarts_its_numbering(self):
        self.bot.mode = "polling"
        old = self.updates.text(self.meera, "hello")
        self.api.updates.append(old)
        self.assertEqual(self.bot._poll(), 1)
        self.assertEqual(self.bot._poll(), 0)  # confirmed: Telegram drops it
        # A week and more without updates: Telegram numbers the next one
        # anew, lower, and even reuses a number this database has seen.
        self.bot.last_update_date = fields.Datetime.now() - timedelta(days=8)
        restarted = dict(self.updates.text(self.meera, "I am back"), update_id=old["update_id"])
        restarted["message"]["date"] += 60
        self.api.updates.append(restarted)
        self.assertEqual(self.bot._poll(), 1)
        self.assertIsNone(self.api.calls[-1][1].get("offset"), "no offset after a quiet week")
        stored = self.Inbound.search([("telegram_bot_id", "=", self.bot.id)])
        self.assertEqual(len(stored), 2)
        self.assertIn("I am back", "".join(stored.mapped("body")))
