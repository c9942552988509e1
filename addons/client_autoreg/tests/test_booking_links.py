# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Booking on the website as a visitor's browser does, then the signed links
of the confirmation: reschedule, cancel, used twice; reminders; the portal."""

import re
from datetime import datetime, timedelta

import pytz

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token" value="([0-9a-f]{32})"')
STARTS = re.compile(r'name="start"[^>]*value="([0-9T:-]{16})"')


@tagged("post_install", "-at_install")
class TestBookingLinks(HttpCase):
    """One member working around the clock (UTC), a one-hour service with a
    15-minute buffer, booked on the website."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Europe/Madrid"
        cls.web = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web")
        calendar = cls.env["resource.calendar"].create({
            "name": "Around the clock", "tz": "UTC",
            "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": str(day), "dayofweek": str(day), "hour_from": 0,
                        "hour_to": 24, "day_period": "morning"}) for day in range(7)],
        })
        cls.member = new_test_user(
            cls.env, login="booking_member", name="Marta Booking", tz="Europe/Madrid",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
        )
        cls.other = new_test_user(
            cls.env, login="booking_other", name="Oscar Booking", tz="Europe/Madrid",
            groups="base.group_user,helpdesk_mgmt.group_helpdesk_user",
        )
        for user in cls.member | cls.other:
            cls.env["resource.resource"].create(
                {"name": user.name, "user_id": user.id, "calendar_id": calendar.id, "tz": "UTC"})
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Booking website team", "user_ids": [(6, 0, cls.member.ids)]})
        cls.web.autoreg_team_id = cls.team
        cls.env["autoreg.web.service"].search([("kind", "=", "appointment")]).active = False
        cls.service = cls.env["autoreg.web.service"].create({
            "name": "Dental check", "kind": "appointment", "duration": 1.0,
            "buffer_minutes": 15, "step_minutes": 60, "notice_hours": 1, "horizon_days": 20,
            "member_ids": [(6, 0, cls.member.ids)],
        })
        cls.env["ir.config_parameter"].set_param("client_autoreg.web_rate_limit", 500)
        # a start well ahead, on the hour
        cls.start = (datetime.utcnow() + timedelta(days=2)).replace(
            hour=9, minute=0, second=0, microsecond=0)

    def setUp(self):
        super().setUp()
        self.first_id = (self.env["autoreg.inbound"].search([], order="id desc", limit=1).id
                         or 0) + 1

    # -- helpers ---------------------------------------------------------------

    def open_form(self, query=""):
        page = self.url_open(f"/customer/appointment{query}")
        self.assertEqual(page.status_code, 200)
        return page, {"csrf_token": CSRF.search(page.text).group(1),
                      "submission_token": SUBMISSION.search(page.text).group(1)}

    def book(self, start=None, email="lucia.garcia@example.es", **extra):
        _page, tokens = self.open_form(f"?service_id={self.service.id}")
        start = start or self.start
        data = {**tokens, "name": "Lucía García", "email": email, "phone": "+34 612 99 88 77",
                "service_id": str(self.service.id), "member_id": "any",
                "start": start if isinstance(start, str) else start.strftime("%Y-%m-%dT%H:%M"),
                **extra}
        return self.url_open("/customer/appointment", data=data)

    def stored(self, email="lucia.garcia@example.es"):
        return self.env["autoreg.inbound"].search(
            [("id", ">=", self.first_id), ("sender_email", "=", email)])

    def booking_of(self, inbound):
        return self.env["autoreg.booking"].search([("inbound_id", "=", inbound.id)])

    def csrf(self, path):
        page = self.url_open(path)
        return page, CSRF.search(page.text).group(1)

    # -- booking on the website ----------------------------------------------

    def test_form_lists_free_times_in_the_visitor_time_zone(self):
        page, _tokens = self.open_form(f"?service_id={self.service.id}&tz=Asia/Kolkata")
        self.assertIn("Asia/Kolkata", page.text)
        starts = STARTS.findall(page.text)
        self.assertTrue(starts)
        # values are UTC on the hour; labels in Kolkata are half past
        first = datetime.strptime(starts[0], "%Y-%m-%dT%H:%M")
        self.assertEqual(first.minute, 0)
        label = re.search(rf'for="autoreg_start_{starts[0]}"[^>]*>([^<]+)<', page.text).group(1)
        self.assertIn(":30", label)
        # a busy hour of the member is not offered
        self.env["calendar.event"].with_context(no_mail_to_attendees=True).create({
            "name": "Busy", "start": first, "stop": first + timedelta(hours=1),
            "partner_ids": [(6, 0, self.member.partner_id.ids)]})
        page, _tokens = self.open_form(f"?service_id={self.service.id}&tz=Asia/Kolkata")
        self.assertNotIn(starts[0], STARTS.findall(page.text))

    def test_booking_confirms_event_assigns_request_and_mails_invitation(self):
        answer = self.book(description="First visit.")
        self.assertEqual(answer.status_code, 200, answer.text[-1500:])
        inbound = self.stored()
        ticket = inbound.ticket_id
        self.assertIn(ticket.number, answer.text)
        self.assertEqual(ticket.user_id, self.member)
        self.assertIn("Booked Dental check", ticket.autoreg_assignment_reason)
        booking = self.booking_of(inbound)
        self.assertEqual((booking.start, booking.user_id, booking.state),
                         (self.start, self.member, "booked"))
        self.assertEqual(booking.blocked_until, self.start + timedelta(minutes=75))
        event = inbound.calendar_event_id
        self.assertEqual(event, booking.calendar_event_id)
        self.assertEqual((event.start, event.stop), (self.start, self.start + timedelta(hours=1)))
        self.assertEqual(event.partner_ids, self.member.partner_id | ticket.partner_id)
        self.assertEqual(set(event.attendee_ids.mapped("state")), {"accepted"})
        mail = self.env["mail.mail"].search([("model", "=", "autoreg.booking"),
                                             ("res_id", "=", booking.id)])
        self.assertEqual(len(mail), 1)
        self.assertIn(f"/customer/booking/{booking.id}/", mail.body_html)
        self.assertNotIn("First visit", mail.body_html)  # nothing the visitor typed
        ics = mail.attachment_ids.filtered(lambda att: att.name.endswith(".ics"))
        self.assertIn(b"BEGIN:VEVENT", ics.raw)
        self.assertIn(self.start.strftime("DTSTART:%Y%m%dT%H%M%SZ").encode(), ics.raw)

    def test_taken_time_is_refused_with_the_next_free_times(self):
        self.assertEqual(self.book().status_code, 200)
        answer = self.book(email="pedro.sanz@example.es")
        self.assertEqual(answer.status_code, 422)
        self.assertIn("just taken", answer.text)
        self.assertIn("o_autoreg_next_free", answer.text)
        self.assertFalse(self.stored("pedro.sanz@example.es"), "a refused post is not stored")
        self.assertFalse(self.env["mail.mail"].search_count([("email_to", "=",
                                                              "pedro.sanz@example.es")]))
        # the buffer: 10:00 is free again only after 10:15 → next start 11:00
        self.assertNotIn((self.start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                         STARTS.findall(answer.text))
        self.assertIn((self.start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                      STARTS.findall(answer.text))

    def test_taken_between_validation_and_processing_leaves_no_half_booking(self):
        """Another server booked the slot after this post was checked: the
        post is kept, ends *ignored* with the reason; no request, no event."""
        partner = self.env["res.partner"].create({"name": "Earlier customer"})
        inbound, _created = self.env["autoreg.inbound"]._store("website", "web:race-late", {
            "web_form": "appointment", "sender_name": "Late", "sender_email": "late@example.es",
            "web_service_id": self.service.id, "web_start": self.start,
            "channel_id": self.web.id,
        })
        self.env["autoreg.booking"].create({
            "service_id": self.service.id, "user_id": self.member.id, "partner_id": partner.id,
            "start": self.start, "stop": self.start + timedelta(hours=1),
            "blocked_until": self.start + timedelta(hours=1)})
        tickets = self.env["helpdesk.ticket"].search_count([])
        events = self.env["calendar.event"].search_count([])
        inbound._process()
        self.assertEqual(inbound.state, "ignored")
        self.assertIn("just taken", inbound.filter_reason)
        self.assertFalse(inbound.ticket_id or inbound.calendar_event_id)
        self.assertEqual(self.env["helpdesk.ticket"].search_count([]), tickets)
        self.assertEqual(self.env["calendar.event"].search_count([]), events)
        # processed by the intake job, nobody on the page: told by email
        [told] = self.env["mail.mail"].search([("model", "=", "autoreg.inbound"),
                                               ("res_id", "=", inbound.id)])
        self.assertEqual(told.email_to, "late@example.es")
        self.assertIn("no longer free", told.subject)
        self.assertIn(f"/customer/appointment?service_id={self.service.id}", told.body_html)

    def test_bad_times_each_get_their_message(self):
        cases = {
            "past": (self.start - timedelta(days=5), "already passed"),
            "notice": (datetime.utcnow().replace(second=0, microsecond=0)
                       + timedelta(minutes=10), "too soon"),
            "horizon": (self.start + timedelta(days=40), "too far ahead"),
            "forged": (self.start + timedelta(minutes=7), "not one we offer"),
        }
        for reason, (start, message) in cases.items():
            with self.subTest(reason):
                answer = self.book(start=start)
                self.assertEqual(answer.status_code, 422)
                self.assertIn(message, answer.text)
        answer = self.book(start="tomorrow at nine")
        self.assertEqual(answer.status_code, 422)
        self.assertFalse(self.stored())

    def test_member_removed_or_service_archived_after_the_page_was_loaded(self):
        answer = self.book(member_id=str(self.other.id))
        self.assertEqual(answer.status_code, 422)
        self.assertIn("no longer takes appointments", answer.text)
        self.service.active = False
        answer = self.book()
        self.assertEqual(answer.status_code, 422)
        self.assertIn("can no longer be booked online", answer.text)
        self.assertFalse(self.stored())

    def test_chosen_member_gets_it_and_any_goes_to_a_free_member(self):
        self.service.member_ids = self.member | self.other
        self.team.user_ids = self.member | self.other
        self.assertEqual(self.book(member_id=str(self.other.id)).status_code, 200)
        self.assertEqual(self.booking_of(self.stored()).user_id, self.other)
        # the same hour with any member: only the member is still free
        self.assertEqual(self.book(email="pedro.sanz@example.es").status_code, 200)
        second = self.booking_of(self.stored("pedro.sanz@example.es"))
        self.assertEqual(second.user_id, self.member)
        self.assertEqual(self.stored("pedro.sanz@example.es").ticket_id.user_id, self.member)

    # -- signed links -----------------------------------------------------------

    def booked(self):
        self.assertEqual(self.book().status_code, 200)
        return self.booking_of(self.stored())

    def test_cancel_link_frees_the_slot_and_says_so_when_used_twice(self):
        booking = self.booked()
        base = f"/customer/booking/{booking.id}/{booking.access_token}"
        self.assertEqual(self.url_open(f"/customer/booking/{booking.id}/wrong{'x' * 20}")
                         .status_code, 404)
        page, csrf = self.csrf(f"{base}/cancel")
        self.assertIn("Cancel my appointment", page.text)
        self.assertEqual(booking.state, "booked", "opening the link changes nothing")
        # a post without the CSRF token is refused
        self.assertNotEqual(self.url_open(f"{base}/cancel", data={"x": "1"}).status_code, 200)
        answer = self.url_open(f"{base}/cancel", data={"csrf_token": csrf})
        self.assertEqual(answer.status_code, 200)
        self.assertIn("is cancelled", answer.text)
        self.assertEqual(booking.state, "cancelled")
        self.assertFalse(booking.calendar_event_id.active)
        self.assertIn("cancelled by", booking.ticket_id.message_ids[0].body)
        again = self.url_open(f"{base}/cancel", data={"csrf_token": csrf})
        self.assertEqual(again.status_code, 409)
        self.assertIn("cancelled already", again.text)
        # the time is offered again
        free = self.env["autoreg.booking.slot"]._free_slots(
            self.service, self.start, self.start + timedelta(hours=1))
        self.assertEqual([slot.start for slot in free], [self.start])

    def test_reschedule_link_moves_event_and_request_once(self):
        booking = self.booked()
        event, ticket = booking.calendar_event_id, booking.ticket_id
        base = f"/customer/booking/{booking.id}/{booking.access_token}"
        page, csrf = self.csrf(f"{base}/reschedule")
        later = self.start + timedelta(days=1, hours=2)
        value = later.strftime("%Y-%m-%dT%H:%M")
        self.assertIn(value, STARTS.findall(page.text))
        # its own time is offered too (moving by less than its length)
        self.assertIn(self.start.strftime("%Y-%m-%dT%H:%M"), STARTS.findall(page.text))
        answer = self.url_open(f"{base}/reschedule", data={"csrf_token": csrf, "start": value})
        self.assertEqual(answer.status_code, 200, answer.text[-1500:])
        self.assertIn("is moved", answer.text)
        new = booking.rescheduled_to_id
        self.assertEqual((booking.state, new.state, new.start), ("rescheduled", "booked", later))
        self.assertEqual((new.calendar_event_id, new.ticket_id), (event, ticket))
        self.assertEqual(event.start, later)
        self.assertIn("moved from", ticket.message_ids[0].body)
        self.assertNotEqual(new.access_token, booking.access_token)
        mails = self.env["mail.mail"].search([("model", "=", "autoreg.booking"),
                                              ("res_id", "=", new.id)])
        self.assertEqual(len(mails), 1, "the new confirmation, with its own links")
        again = self.url_open(f"{base}/reschedule", data={"csrf_token": csrf, "start": value})
        self.assertEqual(again.status_code, 409)
        self.assertIn("moved already", again.text)
        # the old time is free, the new one is not
        slots = self.env["autoreg.booking.slot"]
        self.assertFalse(slots._slot_refusal(self.service, self.start)[0])
        self.assertEqual(slots._slot_refusal(self.service, later)[0], "taken")

    def test_reschedule_to_a_taken_time_changes_nothing(self):
        booking = self.booked()
        taken = self.start + timedelta(hours=3)
        self.env["calendar.event"].with_context(no_mail_to_attendees=True).create({
            "name": "Busy", "start": taken, "stop": taken + timedelta(hours=1),
            "partner_ids": [(6, 0, self.member.partner_id.ids)]})
        base = f"/customer/booking/{booking.id}/{booking.access_token}"
        _page, csrf = self.csrf(f"{base}/reschedule")
        answer = self.url_open(f"{base}/reschedule", data={
            "csrf_token": csrf, "start": taken.strftime("%Y-%m-%dT%H:%M")})
        self.assertEqual(answer.status_code, 409)
        self.assertIn("just taken", answer.text)
        self.assertEqual((booking.state, booking.calendar_event_id.start),
                         ("booked", self.start))

    # -- reminders and portal -------------------------------------------------

    def test_reminder_by_email_and_telegram_once(self):
        booking = self.booked()
        bot = self.env["autoreg.telegram.bot"].create(
            {"name": "Booking bot", "token": "123:booking", "api_url": "http://127.0.0.1:9"})
        chat = self.env["autoreg.telegram.chat"].create({
            "bot_id": bot.id, "chat_id": "4242", "partner_id": booking.partner_id.id})
        self.env["ir.config_parameter"].set_param("client_autoreg.booking_reminder_hours", 72)
        Booking = self.env["autoreg.booking"]
        Booking._cron_send_reminders()
        self.assertTrue(booking.reminder_sent)
        reminder = self.env["mail.mail"].search([
            ("model", "=", "autoreg.booking"), ("res_id", "=", booking.id),
            ("subject", "like", "Reminder")])
        self.assertEqual(len(reminder), 1)
        message = self.env["autoreg.telegram.message"].search([("chat_id", "=", chat.id)])
        self.assertEqual(len(message), 1)
        self.assertIn("Dental check", message.text)
        Booking._cron_send_reminders()
        self.assertEqual(self.env["autoreg.telegram.message"].search_count(
            [("chat_id", "=", chat.id)]), 1)

    def test_reminder_waits_until_the_setting_says(self):
        booking = self.booked()
        self.env["ir.config_parameter"].set_param("client_autoreg.booking_reminder_hours", 1)
        self.env["autoreg.booking"]._cron_send_reminders()
        self.assertFalse(booking.reminder_sent)

    def test_portal_lists_upcoming_appointments_with_their_links(self):
        booking = self.booked()
        new_test_user(self.env, login="lucia_portal", groups="base.group_portal",
                      password="lucia_portal_pw", partner_id=booking.partner_id.id)
        self.authenticate("lucia_portal", "lucia_portal_pw")
        page = self.url_open("/my/appointments")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Dental check", page.text)
        self.assertIn(f"/customer/booking/{booking.id}/{booking.access_token}/cancel", page.text)
        booking._cancel()
        self.assertNotIn("Dental check", self.url_open("/my/appointments").text)

    def test_staff_sees_the_time_in_the_customer_time_zone(self):
        booking = self.booked()
        booking.partner_id.tz = "America/Mexico_City"
        local = pytz.utc.localize(self.start).astimezone(pytz.timezone("America/Mexico_City"))
        self.assertIn(local.strftime("%-I:%M"), booking.start_label)
        self.assertIn("America/Mexico_City", booking.start_label)
        self.assertLess(fields.Datetime.now(), booking.start)

    def test_staff_marks_a_no_show_once_the_appointment_has_begun(self):
        booking = self.booked()
        agent = new_test_user(self.env, login="booking_agent",
                              groups="base.group_user,client_autoreg.group_autoreg_user")
        with self.assertRaises(UserError):
            booking.with_user(agent).action_mark_no_show()  # not begun yet
        self.env.cr.execute("UPDATE autoreg_booking SET start = start - interval '3 days', "
                            "stop = stop - interval '3 days', blocked_until = blocked_until "
                            "- interval '3 days' WHERE id = %s", (booking.id,))
        booking.invalidate_recordset()
        booking.with_user(agent).action_mark_no_show()
        self.assertEqual(booking.state, "no_show")
        self.assertIn("did not come", booking.ticket_id.message_ids[0].body)
        outsider = new_test_user(self.env, login="booking_outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            booking.with_user(outsider).action_cancel()
        per_service = self.env["autoreg.booking"].read_group(
            [("service_id", "=", self.service.id)], ["service_id"], ["state"])
        self.assertEqual({row["state"]: row["state_count"] for row in per_service},
                         {"no_show": 1})
