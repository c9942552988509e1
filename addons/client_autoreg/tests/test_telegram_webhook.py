# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from odoo.tests import HttpCase, tagged

from .bot_api_server import UpdateFactory

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@tagged("post_install", "-at_install")
class TestTelegramWebhook(HttpCase):
    """The webhook as Telegram calls it, through Odoo's HTTP stack."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bot = cls.env["autoreg.telegram.bot"].create(
            {"name": "Webhook bot", "token": "7000002:hook-token", "api_url": "http://127.0.0.1:9"}
        )
        cls.url = f"/customer/telegram/{cls.bot.id}/webhook"
        cls.updates = UpdateFactory(first_update_id=90000)
        cls.user = {"id": 5551001, "first_name": "Diego", "language_code": "es"}

    def post(self, body, secret=None):
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        return self.url_open(self.url, data=body, headers=headers)

    def stored(self):
        return self.env["autoreg.inbound"].search([("telegram_bot_id", "=", self.bot.id)])

    def test_update_with_the_secret_is_stored_once(self):
        body = json.dumps(self.updates.text(self.user, "Hola, necesito ayuda"))
        response = self.post(body, self.bot.webhook_secret)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"ok": True, "stored": True})
        replay = self.post(body, self.bot.webhook_secret)
        self.assertEqual(replay.json(), {"ok": True, "stored": False})
        inbound = self.stored()
        self.assertEqual(len(inbound), 1)
        self.assertEqual(json.loads(inbound.payload)["message"]["text"], "Hola, necesito ayuda")
        self.assertEqual(inbound.channel_id, self.bot.channel_id)

    def test_wrong_or_missing_secret_is_refused_and_nothing_stored(self):
        body = json.dumps(self.updates.text(self.user, "forged"))
        # a secret with characters beyond ASCII is refused too, not a 500
        for secret in (None, "", "guess", self.bot.webhook_secret[:-1], "sécret-ñ"):
            self.assertEqual(self.post(body, secret).status_code, 403)
        self.assertFalse(self.stored())

    def test_malformed_update_is_refused_with_400(self):
        secret = self.bot.webhook_secret
        for body in ("{not json", '{"message": {"text": "no id"}}', "\udcff".encode(
                "utf-8", "surrogateescape")):
            response = self.post(body, secret)
            self.assertEqual(response.status_code, 400)
        self.assertFalse(self.stored())

    def test_bot_in_polling_mode_has_no_webhook(self):
        self.bot.mode = "polling"
        body = json.dumps(self.updates.text(self.user, "hi"))
        self.assertEqual(self.post(body, self.bot.webhook_secret).status_code, 404)
