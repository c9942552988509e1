# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Erasure and blocking of a person (GDPR art. 17, LOPDGDD art. 32)."""

import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import AutoregCase

NAME = "Zelmira Quintanilla-Oyarzun"
EMAIL = "zelmira.q@privacy-test.in"
PHONE = "+919876512340"
MERGED_NAME = "Zelmi Q. Oyarzun"
MERGED_EMAIL = "zq.old@privacy-test.in"


class ErasureCase(AutoregCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.news = cls.env["mailing.list"].create({"name": "Privacy news"})
        cls.manager = new_test_user(
            cls.env, login="erasure-manager", name="Intake Manager",
            groups="client_autoreg.group_autoreg_manager,helpdesk_mgmt.group_helpdesk_manager",
        )
        cls.dpo = new_test_user(
            cls.env, login="erasure-dpo", name="Privacy Officer",
            groups="client_autoreg.group_autoreg_dpo,helpdesk_mgmt.group_helpdesk_manager",
        )
        cls.bot = cls.env["autoreg.telegram.bot"].create({
            "name": "Privacy bot", "token": "123456789:AAF-privacy-test-token",
            "api_url": "http://127.0.0.1:9", "mode": "polling", "team_id": cls.team.id,
        })

    def person(self, open_request=False):
        """A customer known through every door, with everything intake keeps."""
        first = self.register_proven(
            self.web, "privacy-1", sender_name=NAME, sender_email=EMAIL, sender_phone=PHONE,
            subject=f"Order of {NAME}", body=f"<p>I am {NAME}, call me at {PHONE}.</p>",
            attachments=[{"name": "passport.png", "raw": b"\x89PNG zelmira passport"}],
        )
        partner = first.partner_id
        self.assertEqual(first.state, "done", first.error_message)
        self.register_proven(
            self.chat, "privacy-2", sender_name=NAME, sender_email=EMAIL,
            body=f"<p>Also: {EMAIL}</p>",
        )
        chat = self.env["autoreg.telegram.chat"].create({
            "bot_id": self.bot.id, "chat_id": "777001", "telegram_user_id": "777001",
            "name": NAME, "username": "zelmira_q", "phone": PHONE,
            "partner_id": partner.id, "state": "linked",
        })
        chat._say(f"Hello {NAME}")
        self.env["autoreg.consent"].create({
            "partner_id": partner.id, "email": EMAIL, "mailing_list_id": self.news.id,
            "channel_id": self.web.id, "inbound_id": first.id,
            "consent_text": "Send me news.", "state": "confirmed",
        })
        self.env["autoreg.sender.rule"].create(
            {"kind": "address", "value": EMAIL, "action": "allow"}
        )
        self.env["mailing.contact"].create({"name": NAME, "email": EMAIL})
        # An older contact of the same person, merged into this one by Odoo's merge.
        merged_inbound = self.register_proven(
            self.mail, "privacy-old", sender_name=MERGED_NAME, sender_email=MERGED_EMAIL,
            subject="Old account", body="<p>From my old address</p>",
        )
        pair = self.env["autoreg.duplicate"].create({
            "partner_id": partner.id, "duplicate_id": merged_inbound.partner_id.id,
            "duplicate_name": MERGED_NAME, "reason": "email_normalized",
            "key_value": MERGED_EMAIL,
        })
        pair.action_merge()
        self.assertEqual(merged_inbound.partner_id, partner)
        tickets = self.Ticket.search([("partner_id", "=", partner.id)])
        closed = self.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        (tickets[1:] if open_request else tickets).stage_id = closed
        return partner

    def traces(self, *needles):
        """Where ``needles`` are still stored: every char/text/html column of
        every intake model, and intake's fields of contacts and requests."""
        self.env.flush_all()
        found = []
        tables = []
        for model in self.env.registry.values():
            if model._name.startswith("autoreg.") and not model._abstract and model._auto:
                columns = [
                    field.name for field in model._fields.values()
                    if field.store and field.column_type
                    and field.type in ("char", "text", "html", "selection")
                ]
                tables.append((model._table, columns))
        tables.append(("res_partner", ["name", "email", "phone", "mobile", "complete_name",
                                       "email_normalized", "phone_sanitized", "comment"]))
        tables.append(("helpdesk_ticket", ["name", "description", "partner_name",
                                           "partner_email"]))
        tables.append(("ir_attachment", ["name"]))
        tables.append(("mailing_contact", ["name", "email"]))
        tables.append(("mail_message", ["body", "email_from", "subject"]))
        for table, columns in tables:
            for column in columns:
                for needle in needles:
                    self.env.cr.execute(
                        f'SELECT id FROM "{table}" WHERE "{column}"::text ILIKE %s',  # noqa: S608
                        (f"%{needle}%",),
                    )
                    found += [(table, column, needle, row[0]) for row in self.env.cr.fetchall()]
        return found


class TestErasure(ErasureCase):
    def test_erasure_leaves_no_trace_of_the_person_in_any_intake_model(self):
        partner = self.person()
        tickets = self.Ticket.search([("partner_id", "=", partner.id)])
        self.assertTrue(self.traces(NAME, EMAIL, PHONE, MERGED_NAME, MERGED_EMAIL))

        action = partner.with_user(self.manager).action_autoreg_erasure()
        erasure = self.env["autoreg.erasure"].browse(action["res_id"])
        found = {line.model: line.count for line in erasure.line_ids}
        self.assertEqual(found["autoreg.inbound"], 3)
        self.assertEqual(found["autoreg.telegram.chat"], 1)
        self.assertEqual(found["autoreg.consent"], 1)
        self.assertEqual(found["autoreg.sender.rule"], 1)
        self.assertEqual(found["autoreg.duplicate"], 1)
        self.assertEqual(erasure.open_request_count, 0)

        erasure.with_user(self.manager).action_erase()

        self.assertEqual(erasure.state, "erased")
        self.assertEqual(self.traces(NAME, EMAIL, PHONE, MERGED_NAME, MERGED_EMAIL), [])
        # what the books need stays, anonymised
        self.assertTrue(tickets.exists())
        self.assertEqual(tickets.partner_id, partner)
        self.assertTrue(all(ticket.number != "/" for ticket in tickets))
        self.assertFalse(partner.active)
        log = self.env["autoreg.erasure.log"].search([("erasure_id", "=", erasure.id)])
        self.assertEqual(log.mode, "erase")
        self.assertEqual(log.user_id, self.manager)
        self.assertIn("autoreg.inbound: 3", log.counts)

    def test_a_contact_with_an_open_request_is_refused_or_closed_as_chosen(self):
        partner = self.person(open_request=True)
        ticket = self.Ticket.search([("partner_id", "=", partner.id)]).filtered(
            lambda rec: not rec.closed)
        self.assertEqual(len(ticket), 1)
        erasure = self.env["autoreg.erasure"].with_user(self.manager)._open_for(partner)
        self.assertEqual(erasure.open_request_count, 1)

        erasure.open_requests = "refuse"
        erasure.action_erase()
        self.assertEqual(erasure.state, "refused")
        self.assertEqual(partner.name, NAME, "a refused erasure changes nothing")
        self.assertEqual(self.env["autoreg.erasure.log"].search(
            [("erasure_id", "=", erasure.id)]).mode, "refused")

        again = self.env["autoreg.erasure"].with_user(self.manager)._open_for(partner)
        again.open_requests = "close"
        again.action_erase()
        self.assertTrue(ticket.closed)
        self.assertNotIn(NAME, ticket.name + (ticket.partner_name or ""))
        self.assertEqual(self.traces(NAME, EMAIL, PHONE), [])

    def test_blocked_data_is_hidden_from_intake_managers_not_from_the_officer(self):
        partner = self.person()
        erasure = self.env["autoreg.erasure"].with_user(self.manager)._open_for(partner)
        erasure.action_block()
        self.assertEqual(erasure.state, "blocked")

        for model, domain in (
            ("res.partner", [("id", "=", partner.id)]),
            ("helpdesk.ticket", [("partner_id", "=", partner.id)]),
            ("autoreg.inbound", [("sender_email", "=", EMAIL)]),
            ("autoreg.telegram.chat", [("chat_id", "=", "777001")]),
            ("autoreg.consent", [("email", "=", EMAIL)]),
        ):
            with self.subTest(model=model):
                self.assertFalse(self.env[model].with_user(self.manager).search(domain))
                self.assertTrue(self.env[model].with_user(self.dpo).search(domain))
        with self.assertRaises(AccessError):
            partner.with_user(self.manager).read(["name"])
        # kept, not destroyed
        self.assertIn(("res_partner", "name", NAME, partner.id), self.traces(NAME))
        # no campaign, no newsletter, no bot message
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", EMAIL)]))
        self.assertFalse(self.env["mailing.subscription"].search([
            ("list_id", "=", self.news.id), ("contact_id.email_normalized", "=", EMAIL),
            ("opt_out", "=", False)]))
        chat = self.env["autoreg.telegram.chat"].search([("chat_id", "=", "777001")])
        self.assertFalse(chat._say("Our summer offers"))
        # blocked data: the manager may not erase it early, the officer may
        with self.assertRaises(AccessError):
            erasure.with_user(self.manager).action_erase()
        with self.assertRaises(AccessError):
            erasure.with_user(self.manager).write({"state": "draft"})
        erasure.with_user(self.dpo).action_erase()
        self.assertEqual(self.traces(NAME, EMAIL, PHONE), [])

    def test_blocked_data_is_destroyed_when_its_date_has_passed(self):
        partner = self.person()
        erasure = self.env["autoreg.erasure"].with_user(self.manager)._open_for(partner)
        erasure.blocked_until = fields.Date.today() + timedelta(days=2)
        erasure.action_block()
        Erasure = self.env["autoreg.erasure"]
        self.assertEqual(Erasure._cron_destroy_expired_blocks(), 0)
        self.assertTrue(self.traces(EMAIL), "not before its date")

        erasure.sudo().blocked_until = fields.Date.today() - timedelta(days=1)
        self.assertEqual(Erasure._cron_destroy_expired_blocks(), 1)
        self.assertEqual(erasure.state, "erased")
        self.assertEqual(self.traces(NAME, EMAIL, PHONE), [])


    def test_a_user_of_the_company_is_not_erased_from_here(self):
        employee = new_test_user(self.env, login="erasure-employee", name=NAME, email=EMAIL,
                                 groups="base.group_user")
        erasure = self.env["autoreg.erasure"].with_user(self.manager)._open_for(
            employee.partner_id)
        with self.assertRaises(UserError):
            erasure.action_erase()
        self.assertEqual(employee.partner_id.name, NAME)


class TestErasureRoles(ErasureCase):
    """Each role meets the erasure action as it should."""

    def test_roles(self):
        partner = self.Partner.create({"name": NAME, "email": EMAIL})
        roles = {
            "portal": ("base.group_portal", False),
            "helpdesk_user": ("helpdesk_mgmt.group_helpdesk_user", False),
            "helpdesk_manager": ("helpdesk_mgmt.group_helpdesk_manager", False),
            "intake_user": ("client_autoreg.group_autoreg_user", False),
            "intake_manager": ("client_autoreg.group_autoreg_manager", True),
            "dpo": ("client_autoreg.group_autoreg_dpo", True),
        }
        action = self.env.ref("client_autoreg.res_partner_action_autoreg_erasure")
        for role, (groups, allowed) in roles.items():
            user = new_test_user(self.env, login=f"erasure-role-{role}", groups=groups)
            with self.subTest(role=role):
                self.assertEqual(
                    bool(user.groups_id & action.groups_id), allowed,
                    "the server action is offered to the roles that may run it",
                )
                if allowed:
                    result = partner.with_user(user).action_autoreg_erasure()
                    erasure = self.env["autoreg.erasure"].with_user(user).browse(
                        result["res_id"])
                    self.assertEqual(erasure.state, "draft")
                    erasure.action_refuse()
                    self.assertEqual(erasure.state, "refused")
                    continue
                with self.assertRaises(AccessError):
                    partner.with_user(user).action_autoreg_erasure()
                with self.assertRaises(AccessError):
                    self.env["autoreg.erasure"].with_user(user).search([])
                with self.assertRaises(AccessError):
                    self.env["autoreg.erasure"].with_user(user).browse(
                        self.env["autoreg.erasure"].sudo().search([], limit=1).ids
                    ).action_erase()


@tagged("post_install", "-at_install")
class TestPortalErasure(HttpCase):
    """The customer asks from the portal; only they can confirm."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.person = new_test_user(
            cls.env, login="erasure-portal-person", password="erasure-portal-person",
            name=NAME, email=EMAIL, groups="base.group_portal",
        )
        cls.stranger = new_test_user(
            cls.env, login="erasure-portal-stranger", password="erasure-portal-stranger",
            name="Some Stranger", email="stranger@privacy-test.in", groups="base.group_portal",
        )

    def post(self, url):
        page = self.url_open("/my/privacy").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.url_open(url, data={"csrf_token": csrf})

    def outcome(self, response):
        found = re.search(r'data-outcome="([^"]*)"', response.text)
        self.assertTrue(found, f"{response.status_code} {response.url}: {response.text[:500]}")
        return found.group(1)

    def test_only_the_contact_confirms_and_nobody_else_learns_anything(self):
        self.authenticate("erasure-portal-person", "erasure-portal-person")
        self.assertEqual(self.outcome(self.post("/my/privacy/erasure")), "mailed")
        erasure = self.env["autoreg.erasure"].search(
            [("partner_id", "=", self.person.partner_id.id)])
        self.assertEqual(erasure.state, "to_confirm")
        mail = self.env["mail.mail"].search([("email_to", "ilike", EMAIL)], limit=1)
        link = re.search(r"(/customer/privacy/erasure/\d+/[0-9a-f]+)", mail.body_html).group(1)

        # someone else, signed in, with the right link: refused, nothing shown
        self.authenticate("erasure-portal-stranger", "erasure-portal-stranger")
        page = self.url_open(link)
        self.assertEqual(self.outcome(page), "invalid")
        self.assertNotIn(EMAIL, page.text)
        self.assertNotIn(NAME, page.text)
        self.assertEqual(self.outcome(self.post(link)), "invalid")
        self.assertEqual(erasure.state, "to_confirm")

        # the person with a forged token: the same answer
        self.authenticate("erasure-portal-person", "erasure-portal-person")
        forged = link[:-4] + ("0000" if not link.endswith("0000") else "1111")
        self.assertEqual(self.outcome(self.url_open(forged)), "invalid")
        self.assertEqual(self.outcome(self.post(forged)), "invalid")

        # opening the link changes nothing; the POST confirms
        self.assertIn("Confirm the erasure", self.url_open(link).text)
        self.assertEqual(erasure.state, "to_confirm")
        self.assertEqual(self.outcome(self.post(link)), "draft")
        self.assertEqual(erasure.state, "draft", "the officer decides (default setting)")
        self.assertEqual(self.outcome(self.post(link)), "invalid", "a link works once")

    def test_a_confirmed_request_erases_at_once_when_the_company_says_so(self):
        self.env["ir.config_parameter"].set_param("client_autoreg.erasure_portal_mode", "erase")
        self.authenticate("erasure-portal-person", "erasure-portal-person")
        self.post("/my/privacy/erasure")
        erasure = self.env["autoreg.erasure"].search(
            [("partner_id", "=", self.person.partner_id.id)])
        response = self.post(f"/customer/privacy/erasure/{erasure.id}/{erasure._portal_token()}")
        self.assertEqual(self.outcome(response), "erased")
        self.assertEqual(erasure.state, "erased")
        self.assertFalse(self.person.active)
        self.assertNotIn(EMAIL, (self.person.partner_id.email or "") + self.person.login)
        log = self.env["autoreg.erasure.log"].search([("erasure_id", "=", erasure.id)])
        self.assertEqual((log.mode, log.origin), ("erase", "portal"))
