# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import AutoregCase
from .common_mail import AutoregMailCase
from .common_telegram import TelegramCase


class ConsentMixin:
    def make_list(self, name="Offers"):
        return self.env["mailing.list"].create({"name": name})

    def subscribed(self, email, mailing_list):
        """Whether ``email`` receives ``mailing_list`` (subscribed, not opted out)."""
        return bool(self.env["mailing.subscription"].search_count([
            ("list_id", "=", mailing_list.id), ("contact_id.email_normalized", "=", email),
            ("opt_out", "=", False)]))


class TestWebConsent(ConsentMixin, AutoregCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.offers = cls.env["mailing.list"].create({"name": "Offers"})
        cls.web.autoreg_mailing_list_ids = cls.offers

    def register_visitor(self, email, consent):
        return self.register(self.web, f"web:{email}", web_form="register", sender_name="Visitor",
                             sender_email=email, newsletter_consent=consent)

    def test_blocked_sender_cannot_register_through_the_form(self):
        self.env["autoreg.sender.rule"].create({
            "kind": "address", "value": "pest@example.in", "action": "block",
            "company_id": self.company.id})
        inbound = self.register_visitor("pest@example.in", consent=True)
        self.assertEqual((inbound.state, inbound.filter_reason), ("spam", "Blocked sender"))
        self.assertFalse(self.Partner.search([("email", "=", "pest@example.in")]))
        self.assertFalse(self.env["autoreg.consent"].search([("email", "=", "pest@example.in")]))

    def test_no_consent_no_list(self):
        inbound = self.register_visitor("quiet@example.in", consent=False)
        self.assertEqual(inbound.state, "done")
        self.assertFalse(self.env["autoreg.consent"].search([("email", "=", "quiet@example.in")]))
        self.assertFalse(self.subscribed("quiet@example.in", self.offers))

    def test_visitor_consent_is_kept_for_audit_and_confirmed_by_email(self):
        inbound = self.register_visitor("Happy@Example.in", consent=True)
        consent = self.env["autoreg.consent"].search([("inbound_id", "=", inbound.id)])
        self.assertEqual((consent.state, consent.email, consent.channel_id, consent.partner_id),
                         ("pending", "happy@example.in", self.web, inbound.partner_id))
        self.assertIn("unsubscribe at any time", consent.consent_text)
        # anyone can type an address in a form: its owner confirms first
        self.assertFalse(self.subscribed("happy@example.in", self.offers))
        self.assertEqual(consent._confirm(consent.token), "confirmed")
        self.assertTrue(consent.consent_date and consent.confirmed_date)
        self.assertTrue(self.subscribed("happy@example.in", self.offers))

    def test_blacklisted_address_is_not_subscribed(self):
        self.env["mail.blacklist"]._add("blocked@example.in")
        inbound = self.register_visitor("blocked@example.in", consent=True)
        consent = self.env["autoreg.consent"].search([("inbound_id", "=", inbound.id)])
        self.assertEqual(consent.state, "refused")
        self.assertIn("blacklist", consent.state_reason)
        self.assertFalse(self.subscribed("blocked@example.in", self.offers))

    def test_double_opt_in_waits_for_the_link_and_handles_bad_clicks(self):
        self.company.autoreg_double_optin = True
        inbound = self.register_visitor("careful@example.in", consent=True)
        consent = self.env["autoreg.consent"].search([("inbound_id", "=", inbound.id)])
        self.assertEqual(consent.state, "pending")
        self.assertFalse(self.subscribed("careful@example.in", self.offers))
        mail = self.env["mail.mail"].search([("email_to", "=", "careful@example.in")])
        self.assertIn(consent._confirmation_url(), mail.body_html)

        self.assertEqual(consent._confirm("forged-token"), "invalid")
        self.assertEqual(consent._confirm(consent.token), "confirmed")
        self.assertTrue(self.subscribed("careful@example.in", self.offers))
        self.assertEqual(consent._confirm(consent.token), "already")

    def test_expired_or_blacklisted_confirmation_does_not_subscribe(self):
        self.company.autoreg_double_optin = True
        late = self.env["autoreg.consent"].search([("inbound_id", "=", self.register_visitor(
            "late@example.in", consent=True).id)])
        late.consent_date = fields.Datetime.now() - timedelta(days=8)
        self.assertEqual(late._confirm(late.token), "expired")
        gone = self.env["autoreg.consent"].search([("inbound_id", "=", self.register_visitor(
            "gone@example.in", consent=True).id)])
        self.env["mail.blacklist"]._add("gone@example.in")
        self.assertEqual(gone._confirm(gone.token), "refused")
        self.assertFalse(self.subscribed("late@example.in", self.offers)
                         or self.subscribed("gone@example.in", self.offers))

    def test_who_unsubscribed_before_must_confirm_again(self):
        first = self.register_visitor("fickle@example.in", consent=True)
        consent = self.env["autoreg.consent"].search([("inbound_id", "=", first.id)])
        consent._confirm(consent.token)
        subscription = self.env["mailing.subscription"].search(
            [("contact_id.email_normalized", "=", "fickle@example.in")])
        subscription.opt_out = True  # the unsubscribe link of a newsletter
        partner = first.partner_id
        again = self.env["autoreg.consent"]._record(
            partner, self.web, first, "again", verified=True)  # e.g. a signed mail
        self.assertEqual(again.state, "pending")
        self.assertFalse(self.subscribed("fickle@example.in", self.offers))


class TestTelegramConsent(ConsentMixin, TelegramCase):
    def test_subscribe_command_asks_for_an_email_then_confirms_it(self):
        news = self.make_list("Telegram news")
        self.telegram.autoreg_mailing_list_ids = news
        chat = self.register_chat(self.meera, "+919833300011")
        self.deliver(self.updates.text(self.meera, "/subscribe"))
        self.flush_outbox()
        self.assertIn("/subscribe followed by your email", self.texts_to(self.meera)[-1])
        inbound = self.deliver(self.updates.text(self.meera, "/subscribe meera@example.in"))
        self.flush_outbox()
        consent = self.env["autoreg.consent"].search([("inbound_id", "=", inbound.id)])
        self.assertEqual((consent.state, consent.email), ("pending", "meera@example.in"))
        self.assertIn("confirm your subscription", self.texts_to(self.meera)[-1])
        # a typed address never becomes the contact's (mail is matched on it)
        self.assertFalse(chat.partner_id.email)
        consent._confirm(consent.token)
        self.assertTrue(self.subscribed("meera@example.in", news))
        self.assertFalse(self.Ticket.search([("partner_id", "=", chat.partner_id.id)]))

    def test_stop_withdraws_the_consent_as_easily_as_it_was_given(self):
        news = self.make_list("Telegram news")
        self.telegram.autoreg_mailing_list_ids = news
        chat = self.register_chat(self.meera, "+919833300033")
        chat.partner_id.email = "meera.stop@example.in"
        self.deliver(self.updates.text(self.meera, "/subscribe"))
        self.assertTrue(self.subscribed("meera.stop@example.in", news))
        inbound = self.deliver(self.updates.text(self.meera, "/stop"))
        self.flush_outbox()
        self.assertFalse(self.subscribed("meera.stop@example.in", news))
        consent = self.env["autoreg.consent"].search([("partner_id", "=", chat.partner_id.id)])
        self.assertEqual(consent.state, "withdrawn")
        self.assertTrue(consent.withdrawn_date)
        self.assertEqual(inbound.state, "ignored")
        self.assertIn("not receive our newsletter", self.texts_to(self.meera)[-1])
        self.assertFalse(self.Ticket.search([("partner_id", "=", chat.partner_id.id)]))

    def test_subscribe_with_the_contacts_known_address_needs_no_confirmation(self):
        news = self.make_list("Telegram news")
        self.telegram.autoreg_mailing_list_ids = news
        chat = self.register_chat(self.meera, "+919833300022")
        chat.partner_id.email = "meera.known@example.in"
        self.deliver(self.updates.text(self.meera, "/subscribe"))
        self.assertTrue(self.subscribed("meera.known@example.in", news))


class TestEmailConsent(ConsentMixin, AutoregMailCase):
    def test_known_sender_writing_subscribe_joins_the_list_without_a_request(self):
        self.env["ir.config_parameter"].set_param("client_autoreg.mail_authserv_ids", "mx.example")
        letters = self.make_list("Letters")
        self.email_channel.autoreg_mailing_list_ids = letters
        inbound = self.deliver(
            "Known Customer <known@customer.example>", subject="SUBSCRIBE",
            headers={"Authentication-Results": "mx.example; dmarc=pass"},
        )
        self.assertEqual(inbound.state, "ignored")
        self.assertFalse(inbound.ticket_id)
        self.assertTrue(self.subscribed("known@customer.example", letters))

    def test_subscribe_from_an_unauthenticated_mail_is_confirmed_first(self):
        # Without DMARC anyone can write From: a customer's address.
        letters = self.make_list("Letters")
        self.email_channel.autoreg_mailing_list_ids = letters
        inbound = self.deliver("Known Customer <known@customer.example>", subject="SUBSCRIBE")
        self.assertEqual(inbound.state, "ignored")
        self.assertFalse(self.subscribed("known@customer.example", letters))
        consent = self.env["autoreg.consent"].search([("inbound_id", "=", inbound.id)])
        self.assertEqual(consent.state, "pending")

    def test_a_mail_saying_stop_withdraws_the_consent(self):
        letters = self.make_list("Letters")
        self.email_channel.autoreg_mailing_list_ids = letters
        partner = self.env["res.partner"].search([("email", "=", "known@customer.example")])
        consent = self.env["autoreg.consent"]._record(
            partner, self.email_channel, self.env["autoreg.inbound"], "consent", verified=True)
        self.assertEqual(consent.state, "confirmed")
        self.assertTrue(self.subscribed("known@customer.example", letters))
        inbound = self.deliver("Known Customer <known@customer.example>", subject="STOP")
        self.assertEqual((inbound.state, inbound.filter_reason),
                         ("ignored", "Newsletter consent withdrawn"))
        self.assertFalse(inbound.ticket_id)
        self.assertFalse(self.subscribed("known@customer.example", letters))
        self.assertEqual(consent.state, "withdrawn")

    def test_unknown_sender_writing_subscribe_waits_for_review(self):
        letters = self.make_list("Letters")
        self.email_channel.autoreg_mailing_list_ids = letters
        inbound = self.deliver("Stranger <stranger@else.example>", subject="subscribe")
        self.assertEqual(inbound.state, "review")
        self.assertFalse(self.subscribed("stranger@else.example", letters))


@tagged("post_install", "-at_install")
class TestConsentLink(ConsentMixin, HttpCase):
    def test_confirmation_link_answers_each_click(self):
        partner = self.env["res.partner"].create({"name": "Click", "email": "click@example.in"})
        consent = self.env["autoreg.consent"].create({
            "partner_id": partner.id, "email": "click@example.in",
            "mailing_list_id": self.make_list().id, "token": "good-token-123"})
        url = f"/customer/consent/{consent.id}"
        self.assertEqual(self.url_open(f"{url}/wrong").status_code, 404)
        self.assertEqual(self.url_open(f"{url}/n\u00e4\u00efve-\u0915").status_code, 404)
        # A mail scanner (or the person) opens the link: nothing changes yet.
        opened = self.url_open(f"{url}/good-token-123")
        self.assertIn("Confirm my subscription", opened.text)
        self.assertEqual(consent.state, "pending")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', opened.text).group(1)
        first = self.url_open(f"{url}/good-token-123", data={"csrf_token": csrf})
        self.assertIn("You are subscribed", first.text)
        self.assertIn("Already confirmed", self.url_open(f"{url}/good-token-123").text)
        self.assertTrue(re.search(r'data-outcome="already"',
                                  self.url_open(f"{url}/good-token-123").text))
