# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from .common_telegram import TelegramCase


class TestTelegramLanguages(TelegramCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("hi_IN", "es_ES"):
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"].search(
            [("name", "=", "client_autoreg")])._update_translations(["hi_IN", "es_ES"])

    def greeting_for(self, user):
        self.deliver(self.updates.text(user, "/start"))
        self.flush_outbox()
        return self.texts_to(user)

    def test_hindi_speaker_is_greeted_in_hindi(self):
        greeting, prompt = self.greeting_for(
            {"id": 5550101, "first_name": "Arjun", "language_code": "hi"})
        self.assertIn("नमस्ते", greeting)
        self.assertIn("फ़ोन नंबर", prompt)
        button = self.api.sent()[-1]["reply_markup"]["keyboard"][0][0]["text"]
        self.assertIn("फ़ोन नंबर", button)

    def test_spanish_speaker_is_greeted_in_spanish(self):
        greeting, prompt = self.greeting_for(
            {"id": 5550102, "first_name": "Lucía", "language_code": "es-419"})
        self.assertIn("¡Hola!", greeting)
        self.assertIn("número de teléfono", prompt)

    def test_unknown_language_falls_back_to_the_bot_language(self):
        self.bot.lang_id = self.env["res.lang"]._lang_get("es_ES")
        greeting, _prompt = self.greeting_for(
            {"id": 5550103, "first_name": "Jean", "language_code": "fr"})
        self.assertIn("¡Hola!", greeting)
