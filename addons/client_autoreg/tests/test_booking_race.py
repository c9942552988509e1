# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two visitors take the last free slot at once, in two real transactions:
one gets the booking, the other a clear "just taken" and nothing else."""

import threading
import uuid
from datetime import datetime, timedelta

from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

from .common import store_and_process


@tagged("post_install", "-at_install")
class TestBookingRace(TransactionCase):
    """The fixtures are committed (the test transaction is invisible to the
    workers' transactions) and removed afterwards."""

    def setUp(self):
        super().setUp()
        self.tag = uuid.uuid4().hex[:8]
        tomorrow = datetime.utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
        self.start = tomorrow + timedelta(days=1)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            calendar = env["resource.calendar"].create({
                "name": f"Race {self.tag}", "tz": "UTC",
                "attendance_ids": [(5, 0, 0)] + [
                    (0, 0, {"name": str(day), "dayofweek": str(day), "hour_from": 0,
                            "hour_to": 24, "day_period": "morning"})
                    for day in range(7)
                ],
            })
            member = env["res.users"].create(
                {"name": f"Race member {self.tag}", "login": f"race-{self.tag}"}
            )
            env["resource.resource"].create({
                "name": member.name, "user_id": member.id, "calendar_id": calendar.id,
                "tz": "UTC",
            })
            team = env["helpdesk.ticket.team"].create(
                {"name": f"Race {self.tag}", "user_ids": [(6, 0, member.ids)]}
            )
            channel = env["helpdesk.ticket.channel"].create({
                "name": f"Race {self.tag}", "autoreg_thread_policy": "new",
                "autoreg_team_id": team.id,
            })
            service = env["autoreg.web.service"].create({
                "name": f"Race service {self.tag}", "kind": "appointment", "duration": 1.0,
                "notice_hours": 0, "horizon_days": 30, "member_ids": [(6, 0, member.ids)],
            })
            self.ids = {"calendar": calendar.id, "member": member.id, "team": team.id,
                        "channel": channel.id, "service": service.id}
        self.addCleanup(self._remove_committed_data)

    def _remove_committed_data(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            inbound = env["autoreg.inbound"].search([("channel_id", "=", self.ids["channel"])])
            bookings = env["autoreg.booking"].search([("service_id", "=", self.ids["service"])])
            events, tickets, partners = bookings.calendar_event_id, inbound.ticket_id, \
                inbound.partner_id
            bookings.unlink()
            events.unlink()
            inbound.unlink()
            tickets.unlink()
            partners.unlink()
            env["autoreg.web.service"].browse(self.ids["service"]).unlink()
            env["helpdesk.ticket.channel"].browse(self.ids["channel"]).unlink()
            env["helpdesk.ticket.team"].browse(self.ids["team"]).unlink()
            member = env["res.users"].browse(self.ids["member"])
            member.resource_ids.unlink()
            member.unlink()
            env["resource.calendar"].browse(self.ids["calendar"]).unlink()

    def _post(self, name):
        return (f"race-{name}-{self.tag}", {
            "web_form": "appointment",
            "sender_name": name.title(),
            "sender_email": f"{name}.{self.tag}@example.es",
            "subject": "Race",
            "web_service_id": self.ids["service"],
            "web_start": self.start,
        })

    def _run_workers(self, posts):
        barrier = threading.Barrier(len(posts), timeout=30)
        errors = []

        def worker(key, values):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    cr.execute("SELECT 1 FROM autoreg_booking LIMIT 1")  # take a snapshot
                    waited = []

                    def attempt():
                        if not waited:
                            waited.append(True)
                            barrier.wait()
                        channel = env["helpdesk.ticket.channel"].browse(self.ids["channel"])
                        store_and_process(env, "website", channel, key, dict(values))

                    retrying(attempt, env)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=worker, args=post) for post in posts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertFalse(errors, errors)

    def test_two_visitors_racing_for_the_last_slot_get_one_booking(self):
        self._run_workers([self._post("ana"), self._post("bruno")])

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            inbound = env["autoreg.inbound"].search([("channel_id", "=", self.ids["channel"])])
            self.assertEqual(sorted(inbound.mapped("state")), ["done", "ignored"])
            winner = inbound.filtered(lambda rec: rec.state == "done")
            loser = inbound - winner
            bookings = env["autoreg.booking"].search([("service_id", "=", self.ids["service"])])
            self.assertEqual(len(bookings), 1)
            self.assertEqual(bookings.partner_id, winner.partner_id)
            self.assertEqual((bookings.start, bookings.state), (self.start, "booked"))
            # the winner: a request held by the member, a confirmed event
            self.assertEqual(winner.ticket_id.user_id.id, self.ids["member"])
            self.assertEqual(bookings.ticket_id, winner.ticket_id)
            event = winner.calendar_event_id
            self.assertEqual(event, bookings.calendar_event_id)
            self.assertEqual(set(event.attendee_ids.mapped("state")), {"accepted"})
            # the other: told plainly, and no half booking
            self.assertIn("just taken", loser.filter_reason)
            self.assertFalse(loser.ticket_id or loser.calendar_event_id)
            self.assertFalse(env["helpdesk.ticket"].search_count(
                [("partner_id", "=", loser.partner_id.id)]) if loser.partner_id else 0)
            # and the slot is no longer offered
            service = env["autoreg.web.service"].browse(self.ids["service"])
            free = env["autoreg.booking.slot"]._free_slots(
                service, self.start, self.start + timedelta(hours=2))
            self.assertNotIn(self.start, [slot.start for slot in free])

    def test_database_refuses_an_overlapping_booking_whatever_the_server(self):
        """The guarantee is PostgreSQL's: a booking written without the
        free-time check (as another server's stale cache might) is refused."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": f"Direct {self.tag}"})
            values = {"service_id": self.ids["service"], "user_id": self.ids["member"],
                      "partner_id": partner.id, "start": self.start,
                      "stop": self.start + timedelta(hours=1),
                      "blocked_until": self.start + timedelta(hours=1)}
            booking = env["autoreg.booking"].create(values)
            with self.assertRaises(Exception) as refused, cr.savepoint():
                env["autoreg.booking"].create(
                    dict(values, start=self.start + timedelta(minutes=30),
                         stop=self.start + timedelta(minutes=90),
                         blocked_until=self.start + timedelta(minutes=90)))
            self.assertEqual(refused.exception.pgcode, "23P01")  # exclusion_violation
            booking.state = "cancelled"  # a cancelled booking frees its time
            booking.flush_recordset()
            env["autoreg.booking"].create(values).unlink()
            booking.unlink()
            partner.unlink()
