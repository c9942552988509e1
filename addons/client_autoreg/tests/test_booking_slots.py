# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Free appointment slots: schedules, leaves, events, buffers, notice,
horizon and time zones (Europe/Madrid, across both daylight saving changes
of 2026)."""

from datetime import datetime

from odoo.tests import TransactionCase, new_test_user, tagged


def at(text):
    """A naive UTC datetime from ``YYYY-MM-DD HH:MM``."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


@tagged("post_install", "-at_install")
class BookingSlotCase(TransactionCase):
    """Two members working Monday to Friday 09:00-13:00 and 14:00-18:00 in
    Madrid; a one-hour service starting every 30 minutes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.partner_id.tz = "Europe/Madrid"
        cls.calendar = cls.env["resource.calendar"].create({
            "name": "Madrid shop hours",
            "tz": "Europe/Madrid",
            "attendance_ids": [
                (5, 0, 0),
                *[(0, 0, {"name": f"{day} {part}", "dayofweek": str(day), "hour_from": start,
                          "hour_to": end, "day_period": part})
                  for day in range(5)
                  for part, start, end in (("morning", 9, 13), ("afternoon", 14, 18))],
            ],
        })
        cls.ana = cls._member("booking_ana", "Ana Booking")
        cls.luis = cls._member("booking_luis", "Luis Booking")
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Booking team", "user_ids": [(6, 0, (cls.ana | cls.luis).ids)]}
        )
        cls.service = cls.env["autoreg.web.service"].create({
            "name": "Boiler check", "kind": "appointment", "duration": 1.0,
            "step_minutes": 30, "notice_hours": 0, "horizon_days": 60,
            "member_ids": [(6, 0, (cls.ana | cls.luis).ids)],
        })
        cls.Slots = cls.env["autoreg.booking.slot"]
        # Sunday 1 March 2026, 12:00 UTC: the week after is bookable
        cls.now = at("2026-03-01 12:00")

    @classmethod
    def _member(cls, login, name):
        user = new_test_user(cls.env, login=login, name=name, tz="Europe/Madrid",
                             groups="base.group_user")
        cls.env["resource.resource"].create({
            "name": name, "user_id": user.id, "calendar_id": cls.calendar.id,
            "tz": "Europe/Madrid",
        })
        return user

    def free(self, start, stop, members=None, service=None, now=None):
        return self.Slots._free_slots(service or self.service, at(start), at(stop),
                                      members, now=now or self.now)

    def starts(self, slots, user=None):
        return [slot.start.strftime("%H:%M") for slot in slots
                if user is None or user in slot.users]

    def event(self, start, stop, *users, **values):
        return self.env["calendar.event"].with_context(no_mail_to_attendees=True).create({
            "name": "Busy", "start": at(start), "stop": at(stop),
            "partner_ids": [(6, 0, self.env["res.users"].concat(*users).partner_id.ids)],
            **values,
        })


class TestBookingSlots(BookingSlotCase):
    def test_slots_follow_the_working_schedule_in_the_company_time_zone(self):
        # Monday 2 March, winter time: 09:00 in Madrid is 08:00 UTC
        slots = self.free("2026-03-02 00:00", "2026-03-03 00:00")
        self.assertEqual(self.starts(slots), [
            "08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00",  # morning
            "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00",  # afternoon
        ])
        self.assertEqual(slots[0].users, self.ana | self.luis)
        self.assertEqual(slots[0].stop, at("2026-03-02 09:00"))
        # nothing at the weekend
        self.assertFalse(self.free("2026-03-07 00:00", "2026-03-09 00:00"))

    def test_own_leave_removes_the_member_and_company_leave_everyone(self):
        self.env["resource.calendar.leaves"].create({
            "name": "Ana's day off", "calendar_id": self.calendar.id,
            "resource_id": self.ana.resource_ids.id,
            "date_from": at("2026-03-03 00:00"), "date_to": at("2026-03-03 23:00"),
        })
        tuesday = self.free("2026-03-03 00:00", "2026-03-04 00:00")
        self.assertTrue(tuesday)
        self.assertFalse([slot for slot in tuesday if self.ana in slot.users])
        self.env["resource.calendar.leaves"].create({
            "name": "Local holiday", "calendar_id": self.calendar.id,
            "date_from": at("2026-03-04 00:00"), "date_to": at("2026-03-04 23:00"),
        })
        self.assertFalse(self.free("2026-03-04 00:00", "2026-03-05 00:00"))

    def test_events_block_their_attendees_unless_declined_or_shown_free(self):
        self.event("2026-03-02 09:00", "2026-03-02 10:00", self.ana)
        slots = self.free("2026-03-02 08:00", "2026-03-02 11:00")
        self.assertEqual(self.starts(slots, self.ana), ["08:00", "10:00", "10:30"])
        self.assertEqual(self.starts(slots, self.luis),
                         ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30"])
        declined = self.event("2026-03-02 13:00", "2026-03-02 14:00", self.luis)
        declined.attendee_ids.write({"state": "declined"})
        self.event("2026-03-02 15:00", "2026-03-02 16:00", self.luis, show_as="free")
        afternoon = self.free("2026-03-02 13:00", "2026-03-02 17:00", self.luis)
        self.assertEqual(len(afternoon), 7)

    def test_all_day_event_blocks_the_whole_local_day(self):
        self.event("2026-03-05 08:00", "2026-03-05 18:00", self.ana, allday=True,
                   start_date="2026-03-05", stop_date="2026-03-05")
        thursday = self.free("2026-03-05 00:00", "2026-03-06 00:00")
        self.assertTrue(thursday)
        self.assertFalse([slot for slot in thursday if self.ana in slot.users])

    def test_buffer_keeps_time_free_after_each_appointment(self):
        self.service.buffer_minutes = 30
        self.event("2026-03-02 10:00", "2026-03-02 11:00", self.ana)
        slots = self.free("2026-03-02 08:00", "2026-03-02 12:00", self.ana)
        # 08:30-09:30 plus its buffer reaches 10:00: still free; 09:00 is not
        self.assertEqual(self.starts(slots), ["08:00", "08:30", "11:00"])

    def test_bookings_block_their_member_with_their_buffer(self):
        self.service.buffer_minutes = 15
        self.env["autoreg.booking"].create({
            "service_id": self.service.id, "user_id": self.luis.id,
            "partner_id": self.env.ref("base.res_partner_2").id,
            "start": at("2026-03-02 08:00"), "stop": at("2026-03-02 09:00"),
            "blocked_until": at("2026-03-02 09:15"),
        })
        slots = self.free("2026-03-02 08:00", "2026-03-02 10:00", self.luis)
        self.assertEqual(self.starts(slots), ["09:30"])

    def test_minimum_notice_and_horizon(self):
        self.service.write({"notice_hours": 3, "horizon_days": 2})
        now = at("2026-03-02 08:10")  # Monday 09:10 in Madrid
        slots = self.free("2026-03-02 00:00", "2026-03-10 00:00", now=now)
        # the morning ends at 12:00 UTC: the first start from 11:10 on is 13:00
        self.assertEqual(slots[0].start, at("2026-03-02 13:00"))
        # two days from now: up to Wednesday 08:10
        self.assertEqual(slots[-1].start, at("2026-03-04 08:00"))

    def test_members_restricted_to_those_who_deliver_the_service(self):
        self.service.member_ids = self.ana
        slots = self.free("2026-03-02 08:00", "2026-03-02 09:00")
        self.assertEqual(slots[0].users, self.ana)
        self.assertFalse(self.free("2026-03-02 08:00", "2026-03-02 09:00", self.luis))

    def test_default_members_are_the_intake_team(self):
        self.service.member_ids = False
        channel = self.env["autoreg.door.website"]._channel()
        channel.autoreg_team_id = self.team
        self.assertEqual(self.service._autoreg_members(), self.ana | self.luis)
        self.team.user_ids = self.luis
        self.assertEqual(self.service._autoreg_members(), self.luis)

    def test_spring_daylight_saving_change_keeps_local_hours(self):
        # Madrid moves to summer time on Sunday 29 March 2026
        friday = self.free("2026-03-27 00:00", "2026-03-28 00:00", self.ana)
        monday = self.free("2026-03-30 00:00", "2026-03-31 00:00", self.ana)
        self.assertEqual(friday[0].start, at("2026-03-27 08:00"))  # 09:00 CET
        self.assertEqual(monday[0].start, at("2026-03-30 07:00"))  # 09:00 CEST
        self.assertEqual(len(friday), len(monday))

    def test_autumn_daylight_saving_change_keeps_local_hours(self):
        # and back to winter time on Sunday 25 October 2026
        now = at("2026-10-01 12:00")
        friday = self.free("2026-10-23 00:00", "2026-10-24 00:00", self.ana, now=now)
        monday = self.free("2026-10-26 00:00", "2026-10-27 00:00", self.ana, now=now)
        self.assertEqual(friday[0].start, at("2026-10-23 07:00"))  # 09:00 CEST
        self.assertEqual(monday[0].start, at("2026-10-26 08:00"))  # 09:00 CET

    def test_member_without_resource_follows_the_company_schedule(self):
        self.company.resource_calendar_id = self.calendar
        carmen = new_test_user(self.env, login="booking_carmen", name="Carmen",
                               groups="base.group_user")
        self.service.member_ids |= carmen
        slots = self.free("2026-03-02 00:00", "2026-03-03 00:00", carmen)
        self.assertEqual(self.starts(slots)[0], "08:00")
        self.assertEqual(len(slots), 14)


    def test_queries_do_not_grow_with_events_or_members(self):
        """Events of all members over the range in one query: the count of
        SQL queries is the same for 1 or 40 events, 2 or 6 members."""
        def queries(members=None):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.free("2026-03-02 00:00", "2026-03-09 00:00", members)
            return self.env.cr.sql_log_count - before

        self.event("2026-03-02 09:00", "2026-03-02 10:00", self.ana)
        queries()  # warm the caches of the ORM (field metadata, translations)
        few = queries()
        for day in range(2, 6):
            for hour in range(8, 18):
                self.event(f"2026-03-0{day} {hour:02d}:00", f"2026-03-0{day} {hour:02d}:30",
                           self.ana, self.luis)
        self.assertEqual(queries(), few)
        more = self.ana | self.luis
        for number in range(4):
            more |= self._member(f"booking_more_{number}", f"More {number}")
        self.service.member_ids = more
        queries(more)
        self.assertEqual(queries(more), few)


class TestSlotRefusals(BookingSlotCase):
    def refusal(self, start, member=None, now=None):
        reason, _slot = self.Slots._slot_refusal(self.service, at(start), member,
                                                 now=now or self.now)
        return reason

    def test_each_bad_time_has_its_reason(self):
        self.service.write({"notice_hours": 2, "horizon_days": 10})
        now = at("2026-03-02 08:00")
        self.assertEqual(self.refusal("2026-03-02 07:00", now=now), "past")
        self.assertEqual(self.refusal("2026-03-02 09:00", now=now), "notice")
        self.assertEqual(self.refusal("2026-03-20 09:00", now=now), "horizon")
        self.assertEqual(self.refusal("2026-03-03 09:10", now=now), "forged")  # off the grid
        self.assertEqual(self.refusal("2026-03-07 09:00", now=now), "forged")  # Saturday
        self.assertFalse(self.refusal("2026-03-03 09:00", now=now))
        self.event("2026-03-03 09:00", "2026-03-03 10:00", self.ana, self.luis)
        self.assertEqual(self.refusal("2026-03-03 09:00", now=now), "taken")
        self.assertEqual(self.refusal("2026-03-03 09:00", self.ana, now=now), "taken")

    def test_member_removed_and_service_archived(self):
        self.service.member_ids = self.luis
        self.assertEqual(self.refusal("2026-03-03 09:00", self.ana), "member")
        self.assertFalse(self.refusal("2026-03-03 09:00", self.luis))
        self.service.active = False
        self.assertEqual(self.refusal("2026-03-03 09:00", self.luis), "service")

    def test_refusals_are_said_plainly(self):
        for reason in ("service", "past", "notice", "horizon", "member", "forged", "taken"):
            self.assertTrue(self.Slots._refusal_message(reason))
        self.assertIn("just taken", self.Slots._refusal_message("taken"))
