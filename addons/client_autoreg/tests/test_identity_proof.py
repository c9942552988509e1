# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Nobody takes over a customer with an identifier they only typed.

Each test goes through the real doors: the website form posted over HTTP,
Telegram updates posted to the webhook (the bot's answers reach a loopback
Bot API server), mail handed to Odoo's mail gateway.
"""

import json
import re

from odoo.tests import HttpCase, tagged

from .bot_api_server import BotApiServer, UpdateFactory

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token" value="([0-9a-f]{32})"')
TOKEN = "7000003:identity-token"


@tagged("post_install", "-at_install")
class TestIdentityProof(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = BotApiServer(TOKEN).start()
        cls.addClassCleanup(cls.api.stop)
        cls.env["ir.config_parameter"].set_param("client_autoreg.web_rate_limit", 50)
        cls.env["ir.config_parameter"].set_param(
            "client_autoreg.mail_authserv_ids", "mx.company.example")
        cls.agent = cls.env["res.users"].create(
            {"name": "Agent", "login": "identity-agent", "email": "agent@company.example",
             "groups_id": [(6, 0, cls.env.ref("helpdesk_mgmt.group_helpdesk_user").ids)]}
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Identity team",
             "user_ids": [(6, 0, cls.agent.ids)], "autoreg_unknown_policy": "register"}
        )
        for xmlid in ("helpdesk_mgmt.helpdesk_ticket_channel_web",
                      "helpdesk_mgmt.helpdesk_ticket_channel_email",
                      "client_autoreg.helpdesk_ticket_channel_telegram"):
            cls.env.ref(xmlid).autoreg_team_id = cls.team
        cls.bot = cls.env["autoreg.telegram.bot"].create(
            {"name": "Identity bot", "token": TOKEN, "api_url": cls.api.url,
             "team_id": cls.team.id,
             "channel_id": cls.env.ref("client_autoreg.helpdesk_ticket_channel_telegram").id}
        )
        cls.updates = UpdateFactory(first_update_id=70000)
        cls.victim_phone = "+919811100001"
        cls.victim = {"id": 5557001, "first_name": "Nisha", "language_code": "en"}
        cls.impostor = {"id": 5557002, "first_name": "Mallory", "language_code": "en"}

    # -- the doors -----------------------------------------------------------

    def post_request(self, **fields):
        page = self.url_open("/customer/request")
        data = {
            "csrf_token": CSRF.search(page.text).group(1),
            "submission_token": SUBMISSION.search(page.text).group(1),
            "name": "Visitor", "email": "visitor@example.in", "phone": "",
            "country_id": str(self.env.ref("base.in").id),
            "subject": "Help", "description": "Please call me.", **fields,
        }
        return self.url_open("/customer/request", data=data)

    def telegram(self, update):
        """Telegram posts ``update`` to the webhook; the intake job runs."""
        response = self.url_open(
            f"/customer/telegram/{self.bot.id}/webhook", data=json.dumps(update),
            headers={"Content-Type": "application/json",
                     "X-Telegram-Bot-Api-Secret-Token": self.bot.webhook_secret},
        )
        self.assertEqual(response.status_code, 200)
        self.env["autoreg.inbound"]._cron_process_received()

    def chat_of(self, user):
        return self.env["autoreg.telegram.chat"].search(
            [("bot_id", "=", self.bot.id), ("chat_id", "=", str(user["id"]))])

    def mail(self, sender, subject, auth=None):
        lines = [f"From: {sender}", "To: support@company.example", f"Subject: {subject}",
                 f"Message-Id: <{subject.replace(' ', '-')}@mail.example>"]
        if auth:
            lines.append(f"Authentication-Results: mx.company.example; {auth}")
        raw = "\r\n".join([*lines, "", f"{subject}, please."]).encode()
        # as a fetchmail server whose mailbox feeds the helpdesk
        self.env["mail.thread"].sudo().message_process("helpdesk.ticket", raw)
        return self.env["autoreg.inbound"]._of_key(
            "mail", f"<{subject.replace(' ', '-')}@mail.example>")

    def stored_post(self, email):
        return self.env["autoreg.inbound"].search(
            [("door", "=", "website"), ("sender_email", "=", email)], order="id desc", limit=1)

    # -- takeover through a typed phone number --------------------------------

    def test_typed_phone_never_links_the_owners_chat_to_the_typist(self):
        # Mallory types Nisha's number with her own address, and gets an account.
        self.post_request(name="Mallory", email="mallory@evil.example",
                          phone=self.victim_phone)
        mallory = self.stored_post("mallory@evil.example").partner_id
        self.assertEqual(mallory.phone_sanitized, self.victim_phone)
        self.assertFalse(mallory.autoreg_phone_proof, "a typed number is a claim")

        # Nisha shares her own number with the bot, then writes.
        self.telegram(self.updates.text(self.victim, "/start"))
        self.telegram(self.updates.contact(self.victim, self.victim_phone))
        self.telegram(self.updates.text(self.victim, "My invoice is wrong"))

        chat = self.chat_of(self.victim)
        self.assertEqual(chat.state, "linked")
        self.assertNotEqual(chat.partner_id, mallory)
        self.assertEqual(chat.partner_id.autoreg_phone_proof, "telegram")
        request = self.env["helpdesk.ticket"].search([("partner_id", "=", chat.partner_id.id)])
        self.assertEqual(len(request), 1)
        self.assertFalse(self.env["helpdesk.ticket"].search_count(
            [("partner_id", "child_of", mallory.id), ("name", "=", "My invoice is wrong")]))
        # A reviewer sees the two contacts side by side, and may merge them.
        pair = self.env["autoreg.duplicate"].search([("duplicate_id", "=", chat.partner_id.id)])
        self.assertEqual((pair.partner_id, pair.reason), (mallory, "phone_sanitized"))

    # -- takeover through a typed email address --------------------------------

    def test_typed_address_never_files_the_owners_mail_nor_relays_replies(self):
        # Mallory types Nisha's address with her own number.
        self.post_request(name="Nisha (not)", email="nisha@customer.example",
                          phone="+919822200002")
        claimed = self.stored_post("nisha@customer.example").partner_id
        self.assertFalse(claimed.autoreg_email_proof)

        # Nisha mails support; her server vouches for her address (DMARC).
        inbound = self.mail("Nisha <nisha@customer.example>", "Router broken",
                            auth="dmarc=pass header.from=customer.example")
        self.assertEqual(inbound.state, "done", inbound.error_message)
        nisha = inbound.partner_id
        self.assertNotEqual(nisha, claimed)
        self.assertEqual(nisha.autoreg_email_proof, "mail")

        # Mallory shares the number she typed: her chat is not the claimed contact's.
        self.telegram(self.updates.text(self.impostor, "/start"))
        self.telegram(self.updates.contact(self.impostor, "+919822200002"))
        self.telegram(self.updates.text(self.impostor, "Any news on the router?"))
        chat = self.chat_of(self.impostor)
        self.assertNotIn(chat.partner_id, nisha | claimed)
        self.assertNotIn("Any news on the router?",
                         "".join(inbound.ticket_id.message_ids.mapped("body")))

        # A public reply on Nisha's request goes to Nisha's mailbox, not to Telegram.
        inbound.ticket_id.with_user(self.agent).message_post(
            body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.env["autoreg.telegram.message"]._cron_send()
        self.assertTrue(self.api.sent(), "the bot did talk to Mallory")
        self.assertNotIn("We are on it.", [call["text"] for call in self.api.sent()])

    def test_subscribe_without_address_is_confirmed_when_nobody_proved_it(self):
        self.env.ref("client_autoreg.helpdesk_ticket_channel_telegram").autoreg_mailing_list_ids = (
            self.env["mailing.list"].create({"name": "Telegram news"}))
        # A contact whose address was only typed on the website...
        self.post_request(name="Mallory", email="someone.else@example.in",
                          phone="+919833300003")
        self.telegram(self.updates.text(self.impostor, "/start"))
        self.telegram(self.updates.contact(self.impostor, "+919833300003"))
        chat = self.chat_of(self.impostor)
        chat.partner_id.sudo().write({"email": "someone.else@example.in",
                                      "autoreg_email_proof": False})
        self.telegram(self.updates.text(self.impostor, "/subscribe"))
        consent = self.env["autoreg.consent"].search([("partner_id", "=", chat.partner_id.id)])
        self.assertEqual(consent.state, "pending", "a confirmation link goes to the address")

    # -- addresses ------------------------------------------------------------

    def test_malformed_addresses_are_refused_and_never_merge_visitors(self):
        for index, address in enumerate(("bad.email@@example.com", "other.person@@example.com",
                                         "two@example.com, three@example.com", "sita@localhost")):
            answer = self.post_request(name=f"Visitor {index}", email=address)
            self.assertEqual(answer.status_code, 422, address)
            self.assertIn("Please enter a valid email address", answer.text)
        self.assertFalse(self.env["res.partner"].search_count([("email", "like", "@@")]))
        self.assertFalse(self.env["autoreg.inbound"].search_count(
            [("door", "=", "website"), ("sender_email", "like", "@@")]))

    def test_names_are_stored_as_plain_text(self):
        self.post_request(name="<b>Bold</b> <script>x()</script>Ravi", email="ravi@example.in")
        partner = self.stored_post("ravi@example.in").partner_id
        self.assertNotIn("<", partner.name)
        self.assertIn("Ravi", partner.name)

    # -- one real customer, three doors ---------------------------------------

    def test_customer_with_proven_identifiers_is_one_contact_across_the_doors(self):
        customer = self.env["res.partner"].create(
            {"name": "Kavya Nair", "email": "kavya@customer.example", "phone": "+919844400004"})
        self.assertEqual((customer.autoreg_email_proof, customer.autoreg_phone_proof),
                         ("staff", "staff"))
        user = self.env["res.users"].create(
            {"name": "Kavya Nair", "login": "kavya@customer.example", "password": "kavya-pass-1",
             "partner_id": customer.id,
             "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)]})

        by_mail = self.mail("Kavya <kavya@customer.example>", "Washer leaking",
                            auth="dmarc=pass header.from=customer.example")
        kavya = {"id": 5557004, "first_name": "Kavya", "language_code": "en"}
        self.telegram(self.updates.text(kavya, "/start"))
        self.telegram(self.updates.contact(kavya, "+91 98444 00004"))
        self.telegram(self.updates.text(kavya, "Also the dryer"))
        self.authenticate(user.login, "kavya-pass-1")
        self.post_request(subject="Fridge noise", description="It hums.")

        self.assertEqual(by_mail.partner_id, customer)
        self.assertEqual(self.chat_of(kavya).partner_id, customer)
        web = self.env["autoreg.inbound"].search(
            [("door", "=", "website"), ("subject", "=", "Fridge noise")])
        self.assertEqual(web.partner_id, customer)
        self.assertEqual(self.env["res.partner"].search_count(
            ["|", ("email_normalized", "=", "kavya@customer.example"),
             ("phone_sanitized", "=", "+919844400004")]), 1)

    def test_accepting_the_portal_invitation_proves_the_address(self):
        self.post_request(name="Meena", email="meena@customer.example")
        post = self.stored_post("meena@customer.example")
        self.assertFalse(post.partner_id.autoreg_email_proof)
        page = self.url_open("/customer/request")
        self.url_open("/customer/account/invite", data={
            "csrf_token": CSRF.search(page.text).group(1),
            "submission_token": post.idempotency_key.split(":")[1]})
        partner = post.partner_id
        self.assertTrue(partner.user_ids)
        token = partner.sudo()._generate_signup_token()
        self.env["res.users"].sudo().signup(
            {"password": "meena-pass-123"}, token=token)
        self.assertEqual(partner.autoreg_email_proof, "link")

    def test_signed_in_customer_links_telegram_from_the_portal(self):
        customer = self.env["res.partner"].create(
            {"name": "Ira Sen", "email": "ira@customer.example"})
        user = self.env["res.users"].create(
            {"name": "Ira Sen", "login": "ira@customer.example", "password": "ira-pass-123",
             "partner_id": customer.id,
             "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)]})
        self.bot.username = "identity_test_bot"
        self.authenticate(user.login, "ira-pass-123")
        home = self.url_open("/my/home").text
        link = re.search(r'href="https://t\.me/identity_test_bot\?start=([\w-]+)"', home)
        self.assertTrue(link, "the portal offers the chat")

        ira = {"id": 5557005, "first_name": "Ira", "language_code": "en"}
        self.telegram(self.updates.text(ira, f"/start {link.group(1)}"))
        self.telegram(self.updates.text(ira, "Where is my parcel?"))
        chat = self.chat_of(ira)
        self.assertEqual((chat.state, chat.partner_id), ("linked", customer))
        self.assertTrue(self.env["helpdesk.ticket"].search_count(
            [("partner_id", "=", customer.id), ("name", "=", "Where is my parcel?")]))

        # A payload signed for someone else, or forged, links nothing.
        stranger = {"id": 5557006, "first_name": "Eve", "language_code": "en"}
        forged = link.group(1)[:-1] + ("0" if link.group(1)[-1] != "0" else "1")
        self.telegram(self.updates.text(stranger, f"/start {forged}"))
        self.assertNotEqual(self.chat_of(stranger).partner_id, customer)
        self.assertNotEqual(self.chat_of(stranger).state, "linked")
