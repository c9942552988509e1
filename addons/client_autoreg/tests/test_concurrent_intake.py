# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Concurrent intake in real, separately committed transactions."""

import threading
import uuid

from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.tests import TransactionCase

from .common import store_and_process


class TestConcurrentIntake(TransactionCase):
    """Two workers receive messages of the same new person at the same time.

    The fixtures are committed in their own cursor (the test transaction is
    invisible to other transactions) and removed afterwards.
    """

    def setUp(self):
        super().setUp()
        self.tag = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            team = env["helpdesk.ticket.team"].create({"name": f"Concurrency {self.tag}"})
            channel = env["helpdesk.ticket.channel"].create(
                {
                    "name": f"Concurrency {self.tag}",
                    "autoreg_thread_policy": "new",
                    "autoreg_team_id": team.id,
                }
            )
            self.team_id, self.channel_id = team.id, channel.id
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            inbound = env["autoreg.inbound"].search([("channel_id", "=", self.channel_id)])
            partners = inbound.partner_id
            tickets = inbound.ticket_id
            inbound.unlink()
            tickets.unlink()
            partners.unlink()
            env["helpdesk.ticket.channel"].browse(self.channel_id).unlink()
            team = env["helpdesk.ticket.team"].browse(self.team_id)
            members = team.user_ids
            team.unlink()
            members.unlink()

    def _run_workers(self, messages):
        """Each worker takes its snapshot, waits for the others, then
        registers its message; Odoo's ``retrying`` replays a transaction that
        lost a serialization conflict, as it does for requests and RPC."""
        barrier = threading.Barrier(len(messages), timeout=30)
        errors = []

        def worker(key, values):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    cr.execute("SELECT 1 FROM res_partner LIMIT 1")
                    waited = []

                    def attempt():
                        if not waited:
                            waited.append(True)
                            barrier.wait()
                        channel = env["helpdesk.ticket.channel"].browse(self.channel_id)
                        store_and_process(env, "website", channel, key, dict(values))

                    retrying(attempt, env)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [
            threading.Thread(target=worker, args=(key, values))
            for key, values in messages
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertFalse(errors, errors)

    def _committed(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        return api.Environment(cr, SUPERUSER_ID, {})

    def test_two_messages_of_a_new_person_create_one_contact(self):
        email = f"new.{self.tag}@example.in"
        self._run_workers(
            [
                (f"a-{self.tag}", {"sender_email": email, "sender_name": "A",
                                   "sender_email_proof": "mailbox"}),
                (f"b-{self.tag}", {"sender_email": email.upper(), "sender_name": "B",
                                   "sender_email_proof": "mailbox"}),
            ]
        )

        env = self._committed()
        inbound = env["autoreg.inbound"].search([("channel_id", "=", self.channel_id)])
        self.assertEqual(inbound.mapped("state"), ["done", "done"])
        self.assertEqual(env["res.partner"].search_count([("email_normalized", "=", email)]), 1)
        self.assertEqual(len(inbound.partner_id), 1)
        self.assertEqual(len(inbound.ticket_id), 2)

    def test_same_phone_written_differently_creates_one_contact(self):
        number = "98" + str(int(self.tag, 16) % 10**8).zfill(8)
        india = self.env.ref("base.in").id
        self._run_workers(
            [
                (f"p1-{self.tag}", {"sender_phone": f"+91 {number[:5]} {number[5:]}",
                                    "sender_phone_proof": "telegram"}),
                (f"p2-{self.tag}", {"sender_phone": f"0{number}", "sender_country_id": india,
                                    "sender_phone_proof": "telegram"}),
            ]
        )

        env = self._committed()
        self.assertEqual(
            env["res.partner"].search_count([("phone_sanitized", "=", f"+91{number}")]), 1
        )

    def test_replayed_key_delivered_twice_at_once_is_stored_once(self):
        key = f"same-{self.tag}"
        values = {"sender_email": f"replay.{self.tag}@example.in"}
        self._run_workers([(key, values), (key, values)])

        env = self._committed()
        inbound = env["autoreg.inbound"].search([("channel_id", "=", self.channel_id)])
        self.assertEqual(len(inbound), 1)
        self.assertEqual(len(inbound.ticket_id), 1)

    def test_round_robin_gives_simultaneous_requests_to_different_members(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            members = env["res.users"].create([
                {"name": f"Agent {n} {self.tag}", "login": f"agent{n}-{self.tag}"}
                for n in (1, 2)
            ])
            env["helpdesk.ticket.team"].browse(self.team_id).write(
                {"user_ids": [(6, 0, members.ids)], "autoreg_assignment_policy": "round_robin"}
            )
        self._run_workers(
            [
                (f"rr1-{self.tag}", {"sender_email": f"one.{self.tag}@example.in"}),
                (f"rr2-{self.tag}", {"sender_email": f"two.{self.tag}@example.in"}),
            ]
        )

        env = self._committed()
        tickets = env["autoreg.inbound"].search([("channel_id", "=", self.channel_id)]).ticket_id
        self.assertEqual(len(tickets), 2)
        self.assertEqual(tickets.user_id, members, "one request each, none skipped")
