# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What intake writes once is read in each reader's language: why a message
was held, why a request went to someone, the website's menu."""

import re
from pathlib import Path

import polib

from odoo.tests import HttpCase, tagged

from .common_mail import AutoregMailCase
from .test_assignment import AssignmentCase

I18N = Path(__file__).resolve().parent.parent / "i18n"
READERS = {"es_ES": "es", "hi_IN": "hi"}


def load_languages(env):
    for code in READERS:
        env["res.lang"]._activate_lang(code)
    env["ir.module.module"].search(
        [("name", "=", "client_autoreg")])._update_translations(list(READERS))


def translated(lang_code, msgid, **args):
    """The translation the module ships for ``msgid``, formatted."""
    catalog = polib.pofile(str(I18N / f"{READERS[lang_code]}.po"))
    text = catalog.find(msgid).msgstr
    return text % args if args else text


class TestHeldMessagesSayWhyInTheReadersLanguage(AutoregMailCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_languages(cls.env)

    def test_unknown_sender_reason_follows_the_reader(self):
        inbound = self.deliver(self.named("New Person", "new.person@elsewhere.example"))
        self.assertEqual(inbound.state, "review")
        self.assertEqual(inbound.with_context(lang="en_US").filter_reason, "Unknown sender")
        for code in READERS:
            with self.subTest(lang=code):
                reader = inbound.with_context(lang=code)
                self.assertEqual(reader.filter_reason, translated(code, "Unknown sender"))
                self.assertNotEqual(reader.filter_reason, "Unknown sender")

    def test_reason_with_details_is_translated_around_them(self):
        inbound = self.deliver(
            self.named("Holiday", "away@customer.example"), headers={"X-Autoreply": "yes"}
        )
        self.assertEqual(inbound.state, "ignored")
        for code in READERS:
            with self.subTest(lang=code):
                expected = translated(code, "Automatic reply (%s)") % "X-Autoreply"
                self.assertEqual(inbound.with_context(lang=code).filter_reason, expected)

    def test_message_without_text_is_named_in_the_readers_language(self):
        inbound = self.deliver(self.customer.email, subject="", body="")
        self.assertFalse(inbound.name)
        for code in READERS:
            with self.subTest(lang=code):
                self.assertEqual(inbound.with_context(lang=code).display_name,
                                 translated(code, "(no content)"))


class TestAssignmentReasonInTheReadersLanguage(AssignmentCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_languages(cls.env)

    def test_round_robin_reason_follows_the_reader(self):
        ticket = self.new_request()
        user = ticket.user_id.name
        for code in READERS:
            with self.subTest(lang=code):
                self.assertEqual(
                    ticket.with_context(lang=code).autoreg_assignment_reason,
                    translated(code, "Round-robin turn of %(user)s.", user=user),
                )

    def test_popup_speaks_the_assignees_language(self):
        self.team.user_ids.write({"lang": "es_ES"})
        ticket = self.new_request()
        self.env.cr.precommit.run()  # the bus sends on commit
        [popup] = self.env["bus.bus"].sudo().search([
            ("message", "like", "client_autoreg/new_request"),
            ("message", "like", ticket.number),
        ])
        title = translated("es_ES", "New request %(number)s", number=ticket.number)
        self.assertIn(title, popup.message)


@tagged("post_install", "-at_install")
class TestWebsiteMenuOfEachForm(HttpCase):

    def active_menu_items(self, path):
        """The labels of the lit menu items (the header has a desktop and a
        mobile copy of the menu)."""
        html = self.url_open(path).text
        return {re.sub(r"<[^>]+>", "", link).strip()
                for link in re.findall(r'<a[^>]*class="[^"]*nav-link[^"]*\bactive\b[^"]*"[^>]*>'
                                       r"(.*?)</a>", html, re.S)}

    def test_each_form_lights_its_own_menu_item(self):
        pages = {"/customer/register": "Register", "/customer/request": "Send a request",
                 "/customer/appointment": "Book a service"}
        for _round in range(2):  # the second round reads the website's cached header
            for path, label in pages.items():
                with self.subTest(path=path):
                    self.assertEqual(self.active_menu_items(path), {label})

    def test_menu_items_speak_the_pages_language(self):
        load_languages(self.env)
        website = self.env["website"].get_current_website()
        website.language_ids |= self.env["res.lang"].search([("code", "in", list(READERS))])
        for code, prefix in READERS.items():
            with self.subTest(lang=code):
                html = self.url_open(f"/{prefix}/customer/request").text
                for label in ("Register", "Send a request", "Book a service"):
                    self.assertIn(translated(code, label), html)
                self.assertEqual(self.active_menu_items(f"/{prefix}/customer/request"),
                                 {translated(code, "Send a request")})
