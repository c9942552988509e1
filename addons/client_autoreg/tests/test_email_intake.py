# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common_mail import AutoregMailCase


@tagged("post_install", "-at_install")
class TestEmailIntake(AutoregMailCase):
    def test_known_sender_is_registered_at_once(self):
        inbound = self.deliver(
            self.named("Known Customer", "Known@Customer.example"),
            attachments=[("error.png", b"\x89PNG fake", "image/png")],
        )

        ticket = inbound.ticket_id
        self.assertEqual(inbound.state, "done")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.channel_id, self.email_channel)
        self.assertEqual(ticket.name, "Printer broken")
        self.assertFalse(ticket.user_id)
        first = ticket.message_ids.filtered(lambda msg: msg.message_type == "email")
        self.assertEqual(first.message_id, inbound.idempotency_key)
        self.assertEqual(first.author_id, self.customer)
        self.assertIn("error.png", first.attachment_ids.mapped("name"))
        self.assertFalse(inbound.activity_ids)

    def test_reply_stays_in_the_ticket_thread(self):
        inbound = self.deliver("known@customer.example")
        ticket = inbound.ticket_id

        reply = self.build_mail(
            "known@customer.example", subject="Re: Printer broken", body="Still broken.",
            to=self.support_address, headers={"In-Reply-To": inbound.idempotency_key},
        )
        with self.mock_mail_gateway():
            self.env["mail.thread"].sudo().message_process(None, reply.as_bytes())

        self.assertIn("Still broken.", "".join(ticket.message_ids.mapped("body")))
        self.assertEqual(self.env["helpdesk.ticket"].search_count(
            [("partner_id", "=", self.customer.id)]), 1)

    def test_unknown_sender_is_held_whole_for_the_reviewer(self):
        partners = self.env["res.partner"].search_count([])
        tickets = self.env["helpdesk.ticket"].search_count([])

        inbound = self.deliver(
            self.named("New Person", "new.person@elsewhere.example"),
            attachments=[("contract.pdf", b"%PDF-1.4 fake", "application/pdf")],
        )

        self.assertEqual(inbound.state, "review")
        self.assertEqual(inbound.filter_reason, "Unknown sender")
        self.assertFalse(inbound.partner_id)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), tickets)
        self.assertIn("It does not print.", inbound.body)
        self.assertIn("Message-Id:", inbound.payload)
        self.assertIn("contract.pdf", inbound.attachment_ids.mapped("name"))
        activity = inbound.activity_ids
        self.assertEqual(activity.user_id, self.user_employee)
        self.assertIn("New Person", activity.summary)

    def test_approved_sender_is_registered_and_remembered(self):
        held = self.deliver(self.named("New Person", "new.person@elsewhere.example"))

        held.with_user(self.user_employee).action_approve_sender()

        self.assertEqual(held.state, "done")
        self.assertEqual(held.partner_id.email_normalized, "new.person@elsewhere.example")
        self.assertEqual(held.partner_id.name, "New Person")
        self.assertEqual(held.ticket_id.channel_id, self.email_channel)
        self.assertEqual(held.ticket_id.partner_id, held.partner_id)
        self.assertFalse(held.activity_ids)
        rule = self.env["autoreg.sender.rule"].search([("inbound_id", "=", held.id)])
        self.assertEqual((rule.kind, rule.value, rule.action),
                         ("address", "new.person@elsewhere.example", "allow"))

        later = self.deliver("new.person@elsewhere.example", subject="Second question")
        self.assertEqual(later.state, "done")
        self.assertEqual(later.partner_id, held.partner_id)

    def test_approved_domain_lets_colleagues_in(self):
        held = self.deliver("ana@partner-firm.example")
        held.action_approve_domain()

        colleague = self.deliver("luis@partner-firm.example", subject="Another one")
        self.assertEqual(colleague.state, "done")
        self.assertEqual(colleague.partner_id.email_normalized, "luis@partner-firm.example")

    def test_rejected_sender_goes_straight_to_spam_afterwards(self):
        held = self.deliver("offers@spammy.example")
        held.with_user(self.user_employee).action_reject_spam()

        self.assertEqual(held.state, "spam")
        self.assertFalse(held.activity_ids)
        blacklist = self.env["mail.blacklist"]
        self.assertTrue(blacklist.search([("email", "=", "offers@spammy.example")]))

        again = self.deliver("offers@spammy.example", subject="Buy now")
        self.assertEqual(again.state, "spam")
        self.assertFalse(again.activity_ids)
        self.assertFalse(again.partner_id)

    def test_only_the_reviewer_or_a_manager_decides(self):
        other = mail_new_test_user(
            self.env, login="other-employee",
            groups="base.group_user,client_autoreg.group_autoreg_user",
        )
        held = self.deliver("someone@elsewhere.example")
        with self.assertRaises(AccessError):
            held.with_user(other).action_approve_sender()
        with self.assertRaises(AccessError):
            held.with_user(other).action_reject_spam()
        self.assertEqual(held.state, "review")

    def test_team_policy_register_registers_unknown_senders(self):
        self.team.autoreg_unknown_policy = "register"
        inbound = self.deliver(self.named("Walk In", "walk.in@elsewhere.example"))
        self.assertEqual(inbound.state, "done")
        self.assertEqual(inbound.partner_id.name, "Walk In")

    def test_team_policy_reject_files_unknown_senders_as_spam(self):
        self.team.autoreg_unknown_policy = "reject"
        inbound = self.deliver("walk.in@elsewhere.example")
        self.assertEqual(inbound.state, "spam")
        self.assertFalse(inbound.activity_ids)

    def test_alias_for_known_partners_lets_the_reviewer_decide(self):
        self.team.alias_id.alias_contact = "partners"

        held = self.deliver("newcomer@elsewhere.example")
        known = self.deliver("known@customer.example", subject="From a partner")

        self.assertEqual(held.state, "review", "held, not bounced")
        self.assertFalse(self._new_mails, "no bounce is sent")
        self.assertEqual(known.state, "done")

    def test_alias_for_known_partners_still_bounces_without_review(self):
        self.team.alias_id.alias_contact = "partners"
        self.team.autoreg_unknown_policy = "register"

        inbound = self.deliver("newcomer@elsewhere.example")

        # Odoo bounced it; the mail is kept all the same, without request.
        self.assertEqual(inbound.state, "ignored")
        self.assertIn("bounce", inbound.filter_reason)
        self.assertFalse(inbound.ticket_id)
        self.assertTrue(self._new_mails.filtered(lambda mail: "newcomer" in mail.email_to))

    def test_same_message_delivered_twice_is_kept_once(self):
        message = self.build_mail("stranger@elsewhere.example", to=self.support_address)
        for _attempt in range(2):
            with self.mock_mail_gateway():
                self.env["mail.thread"].sudo().message_process(None, message.as_bytes())
        inbound = self._inbound(message["Message-Id"])
        self.assertEqual(len(inbound), 1)
        self.assertEqual(len(inbound.activity_ids), 1)
