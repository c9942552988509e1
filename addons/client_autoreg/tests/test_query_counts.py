# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""SQL queries per message, pinned: a change that adds queries to a door or
to assignment fails here (the figures of bench/ and BENCHMARKS.md come from
the same paths). Each count is taken after a first message of the same kind,
so that Odoo's caches are warm as they are in a running server."""

import json

from odoo import fields
from odoo.tests import tagged

from .common import AutoregCase
from .common_mail import AutoregMailCase
from .common_telegram import TelegramCase

# Pinned counts; lower them when an optimisation lands.
MAIL_KNOWN = 49
MAIL_RETURNING_OWNER_FIRST = 69
MAIL_UNKNOWN = 44
MAIL_SPAM = 25
# These include sending a notification mail to a team member, at once in
# tests, where no SMTP server answers (connection refused): the mail is put
# back in the queue for a retry (models/mail_mail.py), 1 to 3 queries more
# than Odoo's marking it failed.
WEB_REQUEST = 59
KNOWN_CUSTOMER_MESSAGE = 33
TELEGRAM_UPDATE_WAKES_JOB = 9
TELEGRAM_UPDATE_STORED = 5
ASSIGN = {"round_robin": 31, "least_busy": 31, "dispatcher": 29}


@tagged("post_install", "-at_install")
class TestMailQueryCounts(AutoregMailCase):
    def deliver_counted(self, sender, count, **kwargs):
        self.deliver(sender, subject="Warm-up", **kwargs)
        with self.assertQueryCount(count):
            return self.deliver(sender, subject="Counted", **kwargs)

    def test_known_sender(self):
        inbound = self.deliver_counted("known@customer.example", MAIL_KNOWN)
        self.assertEqual(inbound.state, "done")

    def test_returning_customer_goes_to_the_owner_of_the_open_request(self):
        # the path of most mail in a running helpdesk: a customer writes
        # again while a request is open, and its owner gets the new one
        members = self.env["res.users"].create([
            {"name": f"Owner {index}", "login": f"qc-owner-{index}",
             "groups_id": [(6, 0, self.env.ref("helpdesk_mgmt.group_helpdesk_user").ids)]}
            for index in range(3)
        ])
        self.team.write({"user_ids": [(6, 0, members.ids)],
                         "autoreg_assignment_policy": "round_robin"})
        self.deliver("warm-up@customer.example", subject="Warm-up")
        first = self.deliver("known@customer.example", subject="First")
        self.assertTrue(first.ticket_id.user_id)
        with self.assertQueryCount(MAIL_RETURNING_OWNER_FIRST):
            again = self.deliver("known@customer.example", subject="Counted")
        self.assertEqual(again.state, "done")
        self.assertNotEqual(again.ticket_id, first.ticket_id)
        self.assertEqual(again.ticket_id.user_id, first.ticket_id.user_id)

    def test_unknown_sender(self):
        self.deliver("first.stranger@elsewhere.example", subject="Warm-up")
        with self.assertQueryCount(MAIL_UNKNOWN):
            inbound = self.deliver("second.stranger@elsewhere.example", subject="Counted")
        self.assertEqual(inbound.state, "review")

    def test_spam(self):
        inbound = self.deliver_counted("known@customer.example", MAIL_SPAM,
                                       headers={"X-Spam-Flag": "YES"})
        self.assertEqual(inbound.state, "spam")


class TestCorridorQueryCounts(AutoregCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.members = cls.env["res.users"].create([
            {"name": f"Member {index}", "login": f"qc-member-{index}",
             "groups_id": [(6, 0, cls.env.ref("helpdesk_mgmt.group_helpdesk_user").ids)]}
            for index in range(3)
        ])
        cls.team.user_ids = cls.members
        cls.team.user_id = cls.members[0]  # the dispatcher

    def test_website_request(self):
        self.register(self.web, "qc-warm", sender_email="warm@example.in", subject="Warm-up",
                      web_form="request")
        with self.assertQueryCount(WEB_REQUEST):
            inbound = self.register(self.web, "qc-post", sender_email="post@example.in",
                                    subject="Counted", web_form="request")
        self.assertEqual(inbound.state, "done")

    def test_message_of_a_known_customer_joins_the_open_request(self):
        # what a linked Telegram chat sends: the contact is known, the
        # channel adds the message to the customer's open request
        partner = self.Partner.create({"name": "Linked", "phone": "+919812300002"})
        self.register(self.chat, "qc-tg-1", partner_id=partner.id, subject="Warm-up")
        with self.assertQueryCount(KNOWN_CUSTOMER_MESSAGE):
            inbound = self.register(self.chat, "qc-tg-2", partner_id=partner.id,
                                    subject="Counted", body="<p>Any news?</p>")
        self.assertEqual(inbound.state, "done")

    def test_assignment_per_policy(self):
        for policy, count in ASSIGN.items():
            with self.subTest(policy=policy):
                self.team.autoreg_assignment_policy = policy
                warm = self.Ticket.create({"name": "Warm-up", "description": "x",
                                           "team_id": self.team.id, "user_id": False})
                warm._autoreg_assign()
                ticket = self.Ticket.create({"name": "Counted", "description": "x",
                                             "team_id": self.team.id, "user_id": False})
                self.assertFalse(ticket.user_id)
                with self.assertQueryCount(count):
                    ticket._autoreg_assign()
                self.assertTrue(ticket.user_id)


class TestWebhookQueryCounts(TelegramCase):
    """What the webhook does while Telegram waits for its answer: store the
    update and wake the intake job, once for a burst of updates."""

    def due_triggers(self):
        cron = self.env.ref("client_autoreg.ir_cron_autoreg_process_received")
        return self.env["ir.cron.trigger"].sudo().search(
            [("cron_id", "=", cron.id), ("call_at", "<=", fields.Datetime.now())])

    def receive(self, text):
        inbound, created = self.bot._receive_update(
            json.dumps(self.updates.text(self.meera, text)))
        self.assertTrue(created)
        return inbound

    def test_update_stored_and_intake_job_woken_once_per_burst(self):
        self.receive("Warm-up")
        self.due_triggers().unlink()  # the job ran and took everything
        with self.assertQueryCount(TELEGRAM_UPDATE_WAKES_JOB):
            self.receive("First of a burst")
        self.assertEqual(len(self.due_triggers()), 1)
        with self.assertQueryCount(TELEGRAM_UPDATE_STORED):
            self.receive("Second of the burst")
        self.assertEqual(len(self.due_triggers()), 1)  # one wake-up is enough
        self.due_triggers().unlink()
        self.receive("After the job ran")
        self.assertEqual(len(self.due_triggers()), 1)
