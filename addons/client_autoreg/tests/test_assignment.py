# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields
from odoo.tests import new_test_user

from .common import AutoregCase


class AssignmentCase(AutoregCase):
    """A team of three members (ana, bob, eva) led by lead."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = "base.group_user,helpdesk_mgmt.group_helpdesk_user"
        cls.ana, cls.bob, cls.eva = (
            new_test_user(cls.env, login=login, name=login.title(), groups=groups)
            for login in ("ana", "bob", "eva")
        )
        cls.lead = new_test_user(cls.env, login="lead", name="Lead", groups=groups)
        cls.team.write({"user_ids": [(6, 0, (cls.ana | cls.bob | cls.eva).ids)],
                        "user_id": cls.lead.id})
        cls.counter = 0

    def new_request(self, channel=None, **values):
        type(self).counter += 1
        values.setdefault("sender_email", f"customer{self.counter}@example.in")
        return self.register_proven(channel or self.web, f"req-{self.counter}", **values).ticket_id


class TestAssignment(AssignmentCase):

    def test_shipped_action_is_the_teams_default(self):
        action = self.env.ref("client_autoreg.action_assign_and_notify")
        self.assertEqual(self.team.autoreg_registered_action_id, action)
        self.assertEqual(action.code.strip(), "records._autoreg_assign()")

    def test_round_robin_takes_members_in_turn_skipping_unavailable_ones(self):
        self.bob.autoreg_unavailable = True
        assignees = [self.new_request().user_id for _i in range(4)]
        self.assertEqual(assignees, [self.ana, self.eva, self.ana, self.eva])

        self.bob.autoreg_unavailable = False
        self.eva.action_archive()
        self.assertEqual(self.new_request().user_id, self.ana)
        self.assertEqual(self.new_request().user_id, self.bob)

    def test_least_busy_member_gets_it_ties_by_seniority(self):
        self.team.autoreg_assignment_policy = "least_busy"
        for user in (self.ana, self.ana, self.bob):
            self.Ticket.create({"name": "busy", "description": "x", "team_id": self.team.id,
                                "user_id": user.id})
        first = self.new_request()
        self.assertEqual(first.user_id, self.eva)
        self.assertIn("has 0 open requests", first.autoreg_assignment_reason)
        # eva 1, bob 1, ana 2: the tie goes to the member created first
        self.assertEqual(self.new_request().user_id, self.bob)

    def test_least_busy_cap_sends_the_overflow_to_the_dispatcher(self):
        self.team.write({"autoreg_assignment_policy": "least_busy", "autoreg_max_open": 1})
        for user in (self.ana, self.bob, self.eva):
            self.Ticket.create({"name": "busy", "description": "x", "team_id": self.team.id,
                                "user_id": user.id})
        ticket = self.new_request()
        self.assertEqual(ticket.user_id, self.lead)
        self.assertTrue(ticket.autoreg_to_dispatch)
        self.assertIn("reached the cap", ticket.autoreg_assignment_reason)

    def test_dispatcher_distributes_by_hand(self):
        self.team.write({"autoreg_assignment_policy": "dispatcher",
                         "autoreg_dispatcher_id": self.bob.id})
        ticket = self.new_request()
        self.assertEqual(ticket.user_id, self.bob)
        self.assertTrue(ticket.autoreg_to_dispatch)
        self.assertIn(ticket, self.Ticket.search([("autoreg_to_dispatch", "=", True)]))

        ticket.with_user(self.bob).user_id = self.eva
        self.assertFalse(ticket.autoreg_to_dispatch)
        self.assertEqual(ticket.user_id, self.eva)

    def test_customer_with_an_open_request_keeps_its_owner_across_channels(self):
        first = self.new_request(sender_email="loyal@example.in", sender_phone="+919811112222")
        owner = first.user_id
        # Another channel, another door, same customer written differently
        second = self.new_request(channel=self.mail, sender_phone="098111 12222")
        self.assertNotEqual(second, first)
        self.assertEqual(second.user_id, owner)
        self.assertIn(first.number, second.autoreg_assignment_reason)

    def test_assignee_gets_an_activity_and_a_popup(self):
        self.team.autoreg_activity_days = 2
        ticket = self.new_request()
        activity = ticket.activity_ids
        self.assertEqual(activity.user_id, ticket.user_id)
        # two days after today where the request was assigned (not in UTC)
        self.assertEqual((activity.date_deadline - fields.Date.context_today(activity)).days, 2)
        self.env.cr.precommit.run()  # the bus sends on commit
        popups = self.env["bus.bus"].sudo().search([("message", "like", ticket.number)])
        popups = popups.filtered(lambda bus: "client_autoreg/new_request" in bus.message)
        self.assertEqual(len(popups), 1)
        self.assertIn(f'"res.partner",{ticket.user_id.partner_id.id}]', popups.channel)

    def test_assignment_is_explained_in_the_chatter(self):
        ticket = self.new_request()
        self.assertTrue(ticket.autoreg_assignment_reason.startswith("Round-robin turn"))
        notes = ticket.message_ids.filtered(lambda msg: "Assigned to" in (msg.body or ""))
        self.assertEqual(len(notes), 1)
        # the note tells the assignee, by mail or inbox as they chose, and
        # replaces Odoo's own "You have been assigned": one notice, not two
        self.assertEqual(notes.partner_ids, ticket.user_id.partner_id)
        self.assertEqual(notes.notification_ids.res_partner_id, ticket.user_id.partner_id)
        self.assertFalse(ticket.message_ids.filtered(
            lambda msg: msg.message_type == "user_notification"))

    def test_administrator_can_unplug_the_action(self):
        self.env.ref("client_autoreg.action_assign_and_notify").code = "pass"
        ticket = self.new_request()
        self.assertFalse(ticket.user_id)


    def test_reassigning_by_hand_notifies_the_new_assignee(self):
        rule = self.env.ref("client_autoreg.automation_notify_reassigned")
        self.assertTrue(rule.active)
        ticket = self.new_request()
        first = ticket.user_id
        other = (self.ana | self.bob | self.eva) - first
        ticket.with_user(self.lead).user_id = other[0]
        # the new assignee is notified; the former one's activity is done
        self.assertEqual(ticket.activity_ids.user_id, other[0])

        rule.active = False  # an administrator switches it off
        ticket.with_user(self.lead).user_id = other[1]
        self.assertNotIn(other[1], ticket.activity_ids.user_id)


class TestMemberLoad(AssignmentCase):
    """Least busy reads counters that follow every change of the requests."""

    def counted(self):
        """Open requests per member who has any."""
        members = self.ana | self.bob | self.eva
        counts = self.env["autoreg.assignee.load"]._counts(self.team, members)
        return {user_id: count for user_id, count in counts.items() if count}

    def recounted(self):
        self.env["autoreg.assignee.load"]._recount()
        return self.counted()

    def ticket(self, user, **values):
        return self.Ticket.create({"name": "t", "description": "x", "team_id": self.team.id,
                                   "user_id": user.id, **values})

    def test_counters_follow_assignment_closing_archiving_and_deletion(self):
        closed = self.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        first, second, third = self.ticket(self.ana), self.ticket(self.ana), self.ticket(self.bob)
        self.assertEqual(self.counted(), {self.ana.id: 2, self.bob.id: 1})
        first.user_id = self.eva
        second.stage_id = closed
        self.assertEqual(self.counted(), {self.bob.id: 1, self.eva.id: 1})
        third.action_archive()
        first.team_id = self.env["helpdesk.ticket.team"].create({"name": "Other"})
        self.assertEqual(self.counted(), {})
        third.action_unarchive()
        self.ticket(self.bob).unlink()
        self.assertEqual(self.counted(), {self.bob.id: 1})
        self.assertEqual(self.counted(), self.recounted())

    def test_reopening_a_stage_counts_its_requests_again(self):
        stage = self.env["helpdesk.ticket.stage"].create({"name": "Parked", "closed": True})
        self.ticket(self.bob, stage_id=stage.id)
        self.assertEqual(self.counted().get(self.bob.id, 0), 0)
        stage.closed = False
        self.assertEqual(self.counted()[self.bob.id], 1)

    def test_recount_repairs_changes_made_behind_the_orm(self):
        ticket = self.ticket(self.ana)
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET user_id = %s WHERE id = %s", (self.bob.id, ticket.id)
        )
        self.assertEqual(self.counted()[self.ana.id], 1)
        self.assertEqual(self.recounted(), {self.bob.id: 1})


class TestWorkingTime(AssignmentCase):
    """Members whose schedule is known get requests only while at work."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.autoreg_assignment_policy = "least_busy"
        cls.calendar = cls.env["resource.calendar"].create(
            {"name": "Around the clock", "tz": "UTC", "attendance_ids": [
                (0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0,
                        "hour_to": 23.99}) for day in range(7)
            ]}
        )
        cls.resources = {
            user: cls.env["resource.resource"].create(
                {"name": user.name, "user_id": user.id, "calendar_id": cls.calendar.id,
                 "tz": "UTC"}
            )
            for user in (cls.ana, cls.bob)
        }

    def test_member_on_leave_is_skipped(self):
        now = fields.Datetime.now()
        self.env["resource.calendar.leaves"].create(
            {"name": "Holiday", "resource_id": self.resources[self.ana].id,
             "calendar_id": self.calendar.id,
             "date_from": now - timedelta(days=1), "date_to": now + timedelta(days=1)}
        )
        self.assertEqual(self.new_request().user_id, self.bob)

    def test_member_outside_working_hours_is_skipped(self):
        today = str(fields.Datetime.now().weekday())
        self.calendar.attendance_ids.filtered(lambda att: att.dayofweek == today).unlink()
        # ana and bob have no hours today; eva's hours are unknown
        self.assertEqual(self.new_request().user_id, self.eva)
        self.assertEqual(self.new_request().user_id, self.eva)

    def test_teams_may_ignore_working_time(self):
        self.calendar.attendance_ids.unlink()
        self.team.autoreg_respect_working_time = False
        self.assertEqual(self.new_request().user_id, self.ana)
