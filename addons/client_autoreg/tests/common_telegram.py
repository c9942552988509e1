# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from .bot_api_server import BotApiServer, UpdateFactory
from .common import AutoregCase

TOKEN = "7000001:AAH-test-token-for-the-loopback-bot-api"


class TelegramCase(AutoregCase):
    """A bot of the intake team, talking to a Bot API server on loopback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = BotApiServer(TOKEN).start()
        cls.addClassCleanup(cls.api.stop)
        cls.telegram = cls.env.ref("client_autoreg.helpdesk_ticket_channel_telegram")
        cls.bot = cls.env["autoreg.telegram.bot"].create(
            {
                "name": "Care bot",
                "token": TOKEN,
                "api_url": cls.api.url,
                "team_id": cls.team.id,
                "channel_id": cls.telegram.id,
            }
        )
        cls.updates = UpdateFactory()
        cls.meera = {"id": 5550001, "first_name": "Meera", "last_name": "Iyer",
                     "language_code": "en"}

    def setUp(self):
        super().setUp()
        self.api.calls.clear()
        self.api.updates.clear()
        self.api.down = False

    def deliver(self, update):
        """Telegram delivers ``update``; the intake job processes it."""
        inbound, _created = self.bot._receive_update(json.dumps(update))
        inbound._process()
        return inbound

    def flush_outbox(self):
        """The send job runs."""
        self.env["autoreg.telegram.message"]._cron_send()

    def texts_to(self, user):
        return [call["text"] for call in self.api.sent() if int(call["chat_id"]) == user["id"]]

    def register_chat(self, user, phone):
        """A customer who already shared their number."""
        self.deliver(self.updates.text(user, "/start"))
        self.deliver(self.updates.contact(user, phone))
        self.flush_outbox()
        return self.env["autoreg.telegram.chat"].search(
            [("bot_id", "=", self.bot.id), ("chat_id", "=", str(user["id"]))]
        )
