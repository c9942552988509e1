# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import UserError
from odoo.tests import new_test_user

from .common import AutoregCase


class TestDuplicates(AutoregCase):
    """Contacts typed twice are found and merged without losing anything."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A bot only to hold chats; nothing is sent.
        cls.bot = cls.env["autoreg.telegram.bot"].create(
            {"name": "Chats", "token": "123:never-used", "team_id": cls.team.id,
             "channel_id": cls.env.ref("client_autoreg.helpdesk_ticket_channel_telegram").id}
        )

    def pair_of(self, partner):
        return self.env["autoreg.duplicate"].search(
            ["|", ("partner_id", "=", partner.id), ("duplicate_id", "=", partner.id)])

    def test_same_phone_or_email_written_differently_is_found_once(self):
        india = self.env.ref("base.in").id
        first = self.Partner.create({"name": "Kavya Menon", "phone": "+91 98444 11122",
                                     "country_id": india})
        second = self.Partner.create({"name": "KAVYA  MENÓN", "phone": "098444 11122",
                                      "country_id": india})
        third = self.Partner.create({"name": "Rohit", "email": "Rohit.K@Example.in"})
        fourth = self.Partner.create({"name": "Rohit K", "email": "rohit.k@example.in"})
        self.env["autoreg.duplicate"]._find()
        by_phone, by_email = self.pair_of(first), self.pair_of(third)
        self.assertEqual((by_phone.duplicate_id, by_phone.reason, by_phone.name_similarity),
                         (second, "phone_sanitized", 100))
        self.assertEqual((by_email.duplicate_id, by_email.reason), (fourth, "email_normalized"))
        self.assertEqual(self.env["autoreg.duplicate"]._find(), 0)  # listed once

    def test_merge_keeps_every_request_chat_and_consent(self):
        kept = self.Partner.create({"name": "Imran Sheikh", "email": "imran@example.in"})
        other = self.Partner.create({"name": "Imran S.", "email": "IMRAN@example.in"})
        tickets = self.Ticket.create([
            {"name": f"Open {partner.name}", "description": "x", "partner_id": partner.id,
             "team_id": self.team.id} for partner in (kept, other)])
        Chat = self.env["autoreg.telegram.chat"]
        chats = Chat.create([{"bot_id": self.bot.id, "chat_id": str(n), "partner_id": p.id,
                              "state": "linked"} for n, p in ((1, kept), (2, other))])
        consent = self.env["autoreg.consent"].create({
            "partner_id": other.id, "email": "imran@example.in", "state": "confirmed",
            "mailing_list_id": self.env["mailing.list"].create({"name": "News"}).id})
        self.env["autoreg.duplicate"]._find()
        pair = self.pair_of(kept)
        pair.action_merge()
        self.assertFalse(other.exists())
        self.assertEqual(tickets.partner_id, kept)
        self.assertEqual(chats.partner_id, kept)
        self.assertEqual(consent.partner_id, kept)
        self.assertEqual(pair.state, "merged")

    def test_dismissed_pair_is_not_listed_again(self):
        self.Partner.create([{"name": "Twin", "email": "twin@example.in"}] * 2)
        self.env["autoreg.duplicate"]._find()
        pair = self.env["autoreg.duplicate"].search([("key_value", "=", "twin@example.in")])
        pair.action_dismiss()
        self.assertEqual(self.env["autoreg.duplicate"]._find(), 0)
        self.assertEqual(pair.state, "dismissed")

    def test_contacts_of_different_companies_are_not_paired(self):
        other_company = self.env["res.company"].create({"name": "Sister company"})
        self.Partner.create({"name": "Asha", "email": "asha@example.in",
                             "company_id": self.company.id})
        self.Partner.create({"name": "Asha", "email": "asha@example.in",
                             "company_id": other_company.id})
        self.env["autoreg.duplicate"].with_context(
            allowed_company_ids=[self.company.id, other_company.id])._find()
        self.assertFalse(self.env["autoreg.duplicate"].search(
            [("key_value", "=", "asha@example.in")]))

    def test_intake_manager_merges_without_rights_on_other_apps(self):
        manager = new_test_user(self.env, "dup-manager",
                                groups="base.group_user,client_autoreg.group_autoreg_manager")
        kept = self.Partner.create({"name": "Leela Das", "email": "leela@example.in"})
        other = self.Partner.create({"name": "Leela D.", "email": "LEELA@example.in"})
        self.env["website.visitor"].sudo().create(
            {"partner_id": other.id, "access_token": "a" * 32})
        self.env["autoreg.duplicate"]._find()
        pair = self.pair_of(kept)
        pair.with_user(manager).action_merge()
        self.assertFalse(other.exists())
        self.assertEqual(pair.state, "merged")
        # Contacts with different addresses stay an administrator's call.
        first = self.Partner.create({"name": "Om", "phone": "+91 98444 55566"})
        second = self.Partner.create({"name": "Om P", "phone": "098444 55566",
                                      "email": "om@example.in",
                                      "country_id": self.env.ref("base.in").id})
        self.env["autoreg.duplicate"]._find()
        with self.assertRaisesRegex(UserError, "only an administrator"):
            self.pair_of(first).with_user(manager).action_merge()
        self.assertTrue(second.exists())
