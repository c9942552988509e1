# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Consent records that prove themselves (GDPR art. 7(1), LSSI art. 21)."""

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import AutoregCase
from .common_telegram import TelegramCase


class TestConsentNotice(AutoregCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.offers = cls.env["mailing.list"].create({"name": "Notice offers"})
        cls.web.autoreg_mailing_list_ids = cls.offers
        cls.Notice = cls.env["autoreg.consent.notice"]
        cls.Consent = cls.env["autoreg.consent"]

    def consent_of(self, email):
        inbound = self.register(self.web, f"notice:{email}", web_form="register",
                                sender_name="Visitor", sender_email=email,
                                newsletter_consent=True)
        return self.Consent.search([("inbound_id", "=", inbound.id)])

    def subscribed(self, email):
        return bool(self.env["mailing.subscription"].search_count([
            ("list_id", "=", self.offers.id), ("contact_id.email_normalized", "=", email),
            ("opt_out", "=", False)]))

    def test_each_consent_records_the_notice_version_in_force(self):
        general = self.Notice.create({"text": "Any list: news now and then."})
        first = self.Notice.create({
            "mailing_list_id": self.offers.id, "channel_id": self.web.id,
            "text": "Offers by email, twice a month. Unsubscribe in one click.",
        })
        self.assertEqual((general.version, first.version), (1, 1))
        before = self.consent_of("v1@example.in")
        second = self.Notice.create({
            "mailing_list_id": self.offers.id, "channel_id": self.web.id,
            "text": "Offers by email, once a week. Unsubscribe in one click.",
        })
        self.assertEqual(second.version, 2)
        after = self.consent_of("v2@example.in")

        self.assertEqual((before.notice_id, before.notice_version), (first, 1))
        self.assertEqual((after.notice_id, after.notice_version), (second, 2))
        self.assertEqual(before.legal_basis, "consent")
        self.assertEqual(before.given_how, "website")
        self.assertIn("Notice: version 1", before.proof)
        self.assertIn("twice a month", before.proof)
        self.assertIn("once a week", after.proof)
        # the wording a consent was given on is its proof: it never changes
        with self.assertRaises(UserError):
            first.text = "Offers every day."
        self.assertEqual(first.consent_count, 1)

    def test_a_language_of_its_own_wins_over_the_general_notice(self):
        self.env["res.lang"]._activate_lang("es_ES")
        self.Notice.create({"mailing_list_id": self.offers.id, "text": "Offers."})
        spanish = self.Notice.create(
            {"mailing_list_id": self.offers.id, "lang": "es_ES", "text": "Ofertas."})
        self.assertEqual(
            self.Notice._current(self.offers, self.web, "es_ES", self.company), spanish)
        self.assertNotEqual(
            self.Notice._current(self.offers, self.web, "en_US", self.company), spanish)

    def test_existing_customer_exception_is_recorded_never_assumed(self):
        stranger = self.Partner.create({"name": "No request", "email": "none@example.in"})
        with self.assertRaises(UserError):
            self.Consent._record_existing_customer(stranger, self.offers)
        self.assertFalse(self.subscribed("none@example.in"))

        inbound = self.register_proven(self.web, "customer-1", sender_name="Customer",
                                       sender_email="customer@example.in", subject="Repair")
        consent = self.Consent._record_existing_customer(inbound.partner_id, self.offers)
        self.assertEqual((consent.legal_basis, consent.given_how, consent.state),
                         ("existing_customer", "existing_customer", "confirmed"))
        self.assertIn("LSSI art. 21.2", consent.proof)
        self.assertTrue(self.subscribed("customer@example.in"))
        # a plain registration never takes the exception for granted
        self.assertFalse(self.Consent.search([
            ("partner_id", "=", inbound.partner_id.id), ("legal_basis", "=", "consent")]))

    def test_how_a_consent_was_withdrawn_is_recorded(self):
        by_link = self.consent_of("link@example.in")
        self.assertEqual(by_link._confirm(by_link.token), "confirmed")
        subscription = self.env["mailing.subscription"].search([
            ("list_id", "=", self.offers.id),
            ("contact_id.email_normalized", "=", "link@example.in")])
        subscription.opt_out = True  # the newsletter's unsubscribe link
        self.assertEqual((by_link.state, by_link.withdrawn_how), ("withdrawn", "unsubscribe"))
        self.assertIn("Withdrawn on", by_link.proof)

        by_mail = self.consent_of("stop@example.in")
        stop = self.register(self.mail, "stop-mail", door="mail",
                             sender_email="stop@example.in", subject="STOP")
        self.env["autoreg.door.mail"]._unsubscribe(stop)
        self.assertEqual((by_mail.state, by_mail.withdrawn_how), ("withdrawn", "mail"))

    def test_blocked_and_spam_contacts_never_get_a_campaign(self):
        Contact = self.env["mailing.contact"]
        emails = ["fine@example.in", "blocked@example.in", "spammer@example.in",
                  "anyone@spam-domain.test"]
        Contact.create([{"name": email, "email": email,
                         "list_ids": [(4, self.offers.id)]} for email in emails])
        blocked = self.Partner.create({"name": "Blocked", "email": "blocked@example.in"})
        self.env["autoreg.blockable"]._autoreg_block(blocked, "2099-01-01")
        self.env["autoreg.sender.rule"].create([
            {"kind": "address", "value": "spammer@example.in", "action": "block"},
            {"kind": "domain", "value": "spam-domain.test", "action": "block"},
        ])
        mailing = self.env["mailing.mailing"].create({
            "subject": "Summer offers", "body_html": "<p>Offers</p>",
            "mailing_model_id": self.env["ir.model"]._get_id("mailing.contact"),
            "contact_list_ids": [(6, 0, self.offers.ids)],
            "mailing_domain": repr([("list_ids", "in", self.offers.ids)]),
        })
        recipients = Contact.browse(mailing._get_remaining_recipients())
        self.assertEqual(recipients.mapped("email"), ["fine@example.in"])


class TestPrivacyNotice(TelegramCase):
    """The bot says what it stores and links the notice, per language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.company.autoreg_privacy_notice_url = "https://example.in/privacy"
        cls.company.with_context(lang="es_ES").autoreg_privacy_notice_url = (
            "https://example.in/es/privacidad")
        cls.lucia = {"id": 5550077, "first_name": "Lucía", "language_code": "es"}

    def test_first_message_and_privacy_command_link_the_notice(self):
        # before sharing any number, /privacy is answered
        inbound = self.deliver(self.updates.text(self.meera, "/privacy"))
        self.flush_outbox()
        self.assertEqual(inbound.state, "ignored")
        answer = self.texts_to(self.meera)[-1]
        self.assertIn("We keep your name, your phone number", answer)
        self.assertIn("https://example.in/privacy", answer)
        # the first message of a new customer links it too, in their language
        self.deliver(self.updates.text(self.lucia, "Hola"))
        self.flush_outbox()
        first = self.texts_to(self.lucia)[0]
        self.assertIn("https://example.in/es/privacidad", first)
        self.assertNotIn("https://example.in/privacy", first)

    def test_a_blocked_customer_gets_no_bot_message(self):
        chat = self.register_chat(self.meera, "+919833300077")
        self.env["autoreg.blockable"]._autoreg_block(chat.partner_id, "2099-01-01")
        self.api.calls.clear()
        self.deliver(self.updates.text(self.meera, "/privacy"))
        self.flush_outbox()
        self.assertEqual(self.texts_to(self.meera), [])


@tagged("post_install", "-at_install")
class TestPrivacyNoticeOnTheWebsite(HttpCase):
    def test_the_forms_say_what_is_stored_and_link_the_notice(self):
        self.env.company.autoreg_privacy_notice_url = "https://example.in/privacy-web"
        page = self.url_open("/customer/register")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_autoreg_privacy_line", page.text)
        self.assertIn("https://example.in/privacy-web", page.text)
