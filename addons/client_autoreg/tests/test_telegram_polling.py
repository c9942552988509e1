# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
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
