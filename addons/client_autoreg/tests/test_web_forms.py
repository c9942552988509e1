# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token" value="([0-9a-f]{32})"')
RECAPTCHA_POST = "odoo.addons.google_recaptcha.models.ir_http.requests.post"


class FakeGoogleAnswer:
    """What Google's siteverify endpoint answers (JSON body)."""

    def __init__(self, payload):
        self.payload = payload

    def json(self):
        return self.payload


@tagged("post_install", "-at_install")
class TestWebForms(HttpCase):
    """The website forms as a visitor's browser posts them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Inbound = cls.env["autoreg.inbound"]
        cls.web = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web")
        cls.member = new_test_user(
            cls.env, login="web_agent", name="Web Agent", tz="Asia/Kolkata",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Website team", "user_ids": [(6, 0, cls.member.ids)]}
        )
        cls.web.autoreg_team_id = cls.team
        cls.service = cls.env["autoreg.web.service"].create(
            {"name": "AC repair visit", "kind": "appointment", "duration": 2,
             "category_id": cls.env["helpdesk.ticket.category"].create(
                 {"name": "Appointments"}).id}
        )
        cls.env["ir.config_parameter"].set_param("client_autoreg.web_rate_limit", 50)

    def setUp(self):
        super().setUp()
        # Only what this test posts counts (the database may hold older posts).
        self.first_id = (self.Inbound.search([], order="id desc", limit=1).id or 0) + 1

    def open_form(self, path):
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        return {"csrf_token": CSRF.search(page.text).group(1),
                "submission_token": SUBMISSION.search(page.text).group(1)}

    def post(self, path, fields, files=None, tokens=None):
        data = {**(tokens or self.open_form(path)), **fields}
        return self.url_open(path, data=data, files=files)

    def stored(self, **domain):
        """What the forms stored during this test."""
        return self.Inbound.search(
            [("channel_id", "=", self.web.id), ("id", ">=", self.first_id)]
            + [(k, "=", v) for k, v in domain.items()])

    def request_fields(self, **values):
        return {"name": "Asha Rao", "email": "asha.rao@example.in", "phone": "098450 11223",
                "country_id": str(self.env.ref("base.in").id), "subject": "Washing machine",
                "description": "It does not spin any more.", **values}

    # -- request -------------------------------------------------------------

    def test_valid_request_registers_a_ticket_with_its_file_and_a_confirmation(self):
        answer = self.post("/customer/request", self.request_fields(),
                           files={"attachments": ("bill.pdf", b"%PDF-1.4 bill", "application/pdf")})
        self.assertEqual(answer.status_code, 200)
        inbound = self.stored(sender_email="asha.rao@example.in")
        ticket = inbound.ticket_id
        self.assertIn(ticket.number, answer.text)
        self.assertEqual((ticket.channel_id, ticket.name), (self.web, "Washing machine"))
        self.assertEqual(ticket.partner_id.phone_sanitized, "+919845011223")
        self.assertEqual(ticket.user_id, self.member)
        self.assertEqual(ticket.attachment_ids.raw, b"%PDF-1.4 bill")
        confirmation = self.env["mail.mail"].search(
            [("model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id),
             ("subject", "=", f"We received your request {ticket.number}")])
        self.assertEqual(confirmation.recipient_ids, ticket.partner_id)
        # sent now by the mail queue, not at its next hourly run
        queue = self.env.ref("mail.ir_cron_mail_scheduler_action")
        self.assertTrue(self.env["ir.cron.trigger"].sudo().search(
            [("cron_id", "=", queue.id), ("call_at", "<=", fields.Datetime.now())]))
        self.assertIn("Invite me", answer.text)  # a portal account is offered

    def test_confirmation_to_a_typed_address_echoes_nothing_and_is_capped(self):
        for number in range(5):
            self.post("/customer/request", self.request_fields(
                email="target@example.in", name="Click https://prize.example",
                subject=f"WIN https://prize.example/{number}",
                description="Claim your prize at https://prize.example"))
        tickets = self.stored(sender_email="target@example.in").ticket_id
        self.assertEqual(len(tickets), 5)
        mails = self.env["mail.mail"].search(
            [("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids),
             ("recipient_ids", "in", tickets.partner_id.ids)])
        self.assertEqual(len(mails), 3, "three receipts a day at most")
        for mail in mails:
            self.assertNotIn("prize", mail.body_html)
            self.assertNotIn("prize", mail.subject)
            self.assertNotIn("Click", mail.body_html)

    def test_missing_or_invalid_fields_are_explained_and_nothing_is_stored(self):
        answer = self.post("/customer/request", self.request_fields(
            name="", email="not-an-address", phone="12", subject="", description=""))
        self.assertEqual(answer.status_code, 422)
        for field in ("name", "email", "phone", "subject", "description"):
            self.assertIn(f'data-field="{field}"', answer.text)
        self.assertIn("not-an-address", answer.text)  # what was typed is kept
        self.assertFalse(self.stored())

    def test_oversized_or_too_many_files_are_refused(self):
        self.env["ir.config_parameter"].set_param("client_autoreg.web_max_upload_mb", "0.001")
        big = ("big.bin", b"x" * 5000, "application/octet-stream")
        answer = self.post("/customer/request", self.request_fields(), files={"attachments": big})
        self.assertEqual(answer.status_code, 422)
        self.assertIn("big.bin is larger than", answer.text)
        self.assertFalse(self.stored())

    def test_post_without_csrf_token_is_refused(self):
        tokens = self.open_form("/customer/request")
        del tokens["csrf_token"]
        answer = self.post("/customer/request", self.request_fields(), tokens=tokens)
        self.assertEqual(answer.status_code, 400)
        self.assertFalse(self.stored())

    def test_honeypot_filled_is_kept_as_spam_without_contact_or_request(self):
        answer = self.post("/customer/request", self.request_fields(
            email="bot@spam.example", website_url="http://spam.example"))
        self.assertEqual(answer.status_code, 200)
        inbound = self.stored(sender_email="bot@spam.example")
        self.assertEqual((inbound.state, inbound.ticket_id, inbound.partner_id),
                         ("spam", self.env["helpdesk.ticket"], self.env["res.partner"]))
        self.assertFalse(self.env["res.partner"].search([("email", "=", "bot@spam.example")]))

    def test_honeypot_post_keeps_no_files(self):
        self.post("/customer/request", self.request_fields(
            email="bot2@spam.example", website_url="http://spam.example"),
            files={"attachments": ("payload.exe", b"MZ evil", "application/octet-stream")})
        inbound = self.stored(sender_email="bot2@spam.example")
        self.assertEqual(inbound.state, "spam")
        self.assertFalse(inbound.attachment_ids)
        self.assertFalse(self.env["ir.attachment"].search_count([("name", "=", "payload.exe")]))

    def test_submission_token_is_never_taken_from_the_address_bar(self):
        first = self.open_form("/customer/request")
        self.post("/customer/request", self.request_fields(email="first@example.in"),
                  tokens=first)
        # A shared link (or the Back button) carrying the token opens a new form.
        page = self.url_open(f"/customer/request?submission_token={first['submission_token']}")
        again = SUBMISSION.search(page.text).group(1)
        self.assertNotEqual(again, first["submission_token"])
        answer = self.post("/customer/request", self.request_fields(
            email="second@example.in", subject="Another one"),
            tokens={"csrf_token": CSRF.search(page.text).group(1), "submission_token": again})
        second = self.stored(sender_email="second@example.in")
        self.assertTrue(second.ticket_id)
        self.assertIn(second.ticket_id.number, answer.text)

    def test_submission_token_of_another_session_is_refused(self):
        tokens = self.open_form("/customer/request")
        self.authenticate(None, None)  # a new visitor, another session
        forged = {"csrf_token": self.open_form("/customer/request")["csrf_token"],
                  "submission_token": tokens["submission_token"]}
        answer = self.post("/customer/request", self.request_fields(email="x@example.in"),
                           tokens=forged)
        self.assertEqual(answer.status_code, 400)
        invented = dict(forged, submission_token="0" * 32)
        answer = self.post("/customer/request", self.request_fields(email="x@example.in"),
                           tokens=invented)
        self.assertEqual(answer.status_code, 400)
        self.assertFalse(self.stored(sender_email="x@example.in"))

    def test_rate_limit_refuses_the_next_post_of_a_busy_address(self):
        self.env["autoreg.rate.limit"].search([]).unlink()  # earlier posts of this run
        self.env["ir.config_parameter"].set_param("client_autoreg.web_rate_limit", 3)
        # a refused post counts as much as an accepted one
        invalid = self.post("/customer/request", self.request_fields(email="not-an-address"))
        self.assertEqual(invalid.status_code, 422)
        for number in range(2):
            self.assertEqual(self.post("/customer/request", self.request_fields(
                email=f"burst{number}@example.in")).status_code, 200)
        refused = self.post("/customer/request", self.request_fields(email="burst9@example.in"))
        self.assertEqual(refused.status_code, 429)
        self.assertEqual(len(self.stored(sender_ip="127.0.0.1")), 2)

    def test_rate_limit_counts_an_ipv6_subscriber_block_as_one(self):
        Limit = self.env["autoreg.rate.limit"]
        self.assertEqual(Limit._network_of("2001:db8:1:2::a"), "2001:db8:1:2::/64")
        self.assertEqual(Limit._network_of("2001:db8:1:2:ffff::b"), "2001:db8:1:2::/64")
        self.assertEqual(Limit._network_of("::ffff:192.0.2.7"), "192.0.2.7")
        door = self.env["autoreg.door.website"]
        self.env["ir.config_parameter"].set_param("client_autoreg.web_rate_limit", 2)
        self.assertFalse(door._rate_limited("2001:db8:9:9::1"))
        self.assertFalse(door._rate_limited("2001:db8:9:9::2"))
        self.assertTrue(door._rate_limited("2001:db8:9:9:abcd::3"))
        self.assertFalse(door._rate_limited("2001:db8:9:a::1"), "another subscriber")

    def test_same_submission_posted_twice_registers_once(self):
        tokens = self.open_form("/customer/request")
        self.post("/customer/request", self.request_fields(), tokens=tokens)
        again = self.post("/customer/request", self.request_fields(), tokens=tokens)
        inbound = self.stored(sender_email="asha.rao@example.in")
        self.assertEqual(len(inbound), 1)
        self.assertIn(inbound.ticket_id.number, again.text)

    # -- captcha -------------------------------------------------------------

    def test_captcha_failure_is_refused_and_success_goes_through(self):
        params = self.env["ir.config_parameter"]
        params.set_param("recaptcha_private_key", "test-secret")
        params.set_param("recaptcha_min_score", "0.7")
        verdicts = {
            "robot": {"success": True, "score": 0.1, "action": "autoreg_form"},
            "forged": {"success": False, "error-codes": ["invalid-input-response"]},
            "human": {"success": True, "score": 0.9, "action": "autoreg_form"},
        }
        for verdict, payload in verdicts.items():
            with patch(RECAPTCHA_POST, return_value=FakeGoogleAnswer(payload)) as google:
                answer = self.post("/customer/request", self.request_fields(
                    email=f"{verdict}@example.in", recaptcha_token_response=f"token-{verdict}"))
            self.assertEqual(google.call_args.args[1]["response"], f"token-{verdict}")
            stored = self.stored(sender_email=f"{verdict}@example.in")
            if verdict == "human":
                self.assertEqual(answer.status_code, 200)
                self.assertTrue(stored.ticket_id)
            else:
                self.assertEqual(answer.status_code, 400)
                self.assertFalse(stored)

    # -- registration and appointment ---------------------------------------

    def test_newsletter_box_only_when_the_website_has_a_list(self):
        self.web.autoreg_mailing_list_ids = False
        self.assertNotIn('name="newsletter"', self.url_open("/customer/register").text)

    def test_registration_creates_the_contact_with_consent_and_no_request(self):
        self.web.autoreg_mailing_list_ids = self.env["mailing.list"].create({"name": "Web news"})
        page = self.url_open("/customer/register").text
        self.assertNotIn("checked", re.search(r'<input[^>]*name="newsletter"[^>]*>', page).group())
        self.post("/customer/register", {"name": "Pablo Ruiz", "email": "Pablo.Ruiz@Example.es",
                                         "phone": "612 99 88 77", "newsletter": "1",
                                         "country_id": str(self.env.ref("base.es").id)})
        inbound = self.stored(web_form="register")
        self.assertEqual((inbound.state, inbound.newsletter_consent), ("done", True))
        self.assertEqual(inbound.partner_id.phone_sanitized, "+34612998877")
        self.assertEqual(inbound.partner_id.email, "pablo.ruiz@example.es")
        self.assertFalse(inbound.ticket_id)

    def test_appointment_books_a_free_time_with_a_confirmed_event(self):
        # (the free times themselves: test_booking_slots, test_booking_links)
        page = self.url_open(f"/customer/appointment?service_id={self.service.id}")
        start = re.search(r'name="start"[^>]*value="([0-9T:-]{16})"', page.text).group(1)
        answer = self.post(f"/customer/appointment?service_id={self.service.id}", {
            "name": "Ravi Nair", "email": "ravi.nair@example.in", "phone": "+91 98450 99887",
            "service_id": str(self.service.id), "member_id": "any", "start": start,
            "description": "Second floor, ring twice."})
        self.assertEqual(answer.status_code, 200)
        inbound = self.stored(sender_email="ravi.nair@example.in")
        ticket = inbound.ticket_id
        self.assertEqual(ticket.category_id, self.service.category_id)
        self.assertIn("Second floor", ticket.description)
        self.assertEqual(ticket.user_id, self.member)
        event = inbound.calendar_event_id
        self.assertEqual(event.user_id, self.member)
        self.assertEqual(event.partner_ids, self.member.partner_id | ticket.partner_id)
        self.assertEqual(set(event.attendee_ids.mapped("state")), {"accepted"})
        # the time posted (UTC); the service lasts 2 hours
        self.assertEqual((event.start.strftime("%Y-%m-%dT%H:%M"), event.duration), (start, 2.0))

    def test_appointment_time_that_has_passed_is_refused(self):
        form = self.env["autoreg.web.form.validator"]
        with freeze_time("2026-11-23 05:00:00"):
            errors = {}
            form._parse_appointment({"name": "Ravi", "description": ""}, {
                "service_id": str(self.service.id), "start": "2026-11-23T04:00"}, errors)
            self.assertIn("already passed", errors["start"])

    def test_appointment_without_service_or_time_is_refused(self):
        answer = self.post("/customer/appointment", {
            "name": "Ravi Nair", "email": "ravi.nair@example.in", "service_id": "999999",
            "start": (date.today() - timedelta(days=1)).isoformat()})
        self.assertEqual(answer.status_code, 422)
        for field in ("service_id", "start"):
            self.assertIn(f'data-field="{field}"', answer.text)

    # -- portal ----------------------------------------------------------------

    def test_portal_customer_sends_a_request_without_retyping_and_sees_it(self):
        customer = new_test_user(self.env, login="asha_portal", name="Asha Portal",
                                 email="asha.portal@example.in", groups="base.group_portal")
        self.authenticate("asha_portal", "asha_portal")
        tokens = self.open_form("/customer/request")
        self.assertIn("signed in as", self.url_open("/customer/request").text)
        self.post("/customer/request", {"subject": "Warranty question",
                                        "description": "Is the motor covered?"}, tokens=tokens)
        ticket = self.stored(partner_id=customer.partner_id.id).ticket_id
        self.assertEqual(ticket.partner_id, customer.partner_id)
        self.assertIn(ticket.number, self.url_open("/my/tickets").text)

    def test_known_and_unknown_addresses_get_the_same_answer(self):
        known = self.env["res.partner"].create(
            {"name": "Known", "email": "known.customer@example.in"})
        answers = [self.post("/customer/request", self.request_fields(email=email))
                   for email in ("known.customer@example.in", "nobody.yet@example.in")]
        self.assertTrue(all("Invite me" in answer.text for answer in answers))
        posted = self.stored(sender_email="known.customer@example.in")
        # The typed address is a claim: the request is not the customer's.
        self.assertNotEqual(posted.partner_id, known)
        self.assertFalse(posted.partner_id.autoreg_email_proof)
        invited = self.url_open("/customer/account/invite", data={
            "csrf_token": self.open_form("/customer/request")["csrf_token"],
            "submission_token": posted.idempotency_key.split(":")[1]})
        self.assertIn("We sent an email to the address you gave", invited.text)
        # Only the owner of the address can use the invitation, and it opens
        # the customer's own contact, not the one the visitor's post made.
        self.assertTrue(known.user_ids._is_portal())
        self.assertFalse(posted.partner_id.user_ids)
        pair = self.env["autoreg.duplicate"].search([("duplicate_id", "=", posted.partner_id.id)])
        self.assertEqual(pair.partner_id, known)

    def test_visitor_is_invited_to_the_portal_by_email_once(self):
        answer = self.post("/customer/request", self.request_fields(email="new.visitor@example.in"))
        token = SUBMISSION.search(answer.text).group(1)
        csrf = CSRF.search(answer.text).group(1)
        invited = self.url_open("/customer/account/invite",
                                data={"csrf_token": csrf, "submission_token": token})
        self.assertIn("We sent an email to the address you gave", invited.text)
        partner = self.stored(sender_email="new.visitor@example.in").partner_id
        self.assertTrue(partner.user_ids._is_portal())
        again = self.url_open("/customer/account/invite",
                              data={"csrf_token": csrf, "submission_token": token})
        self.assertIn("No invitation was sent", again.text)

    # -- languages -------------------------------------------------------------

    def test_pages_and_errors_speak_the_visitors_language(self):
        langs = {"es_ES": ("es", "Regístrese como cliente", "Por favor, díganos su nombre."),
                 "hi_IN": ("hi", "ग्राहक के रूप में पंजीकरण करें", "कृपया अपना नाम बताएँ।")}
        for code in langs:
            self.env["res.lang"]._activate_lang(code)
        self.env["ir.module.module"].search(
            [("name", "=", "client_autoreg")])._update_translations(list(langs))
        website = self.env["website"].get_current_website()
        website.language_ids |= self.env["res.lang"].search([("code", "in", list(langs))])
        for prefix, title, error in langs.values():
            with self.subTest(lang=prefix):
                path = f"/{prefix}/customer/register"
                self.assertIn(title, self.url_open(path).text)
                answer = self.post(path, {"name": "", "email": "x@example.in"})
                self.assertEqual(answer.status_code, 422)
                self.assertIn(error, answer.text)
