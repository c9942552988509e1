# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A booked appointment: one member's time, held for one customer.

Taking a slot is atomic at the database level: an exclusion constraint
forbids two bookings of one member whose times (buffer included) overlap
while both are booked. Two visitors racing for the last free slot, on one
Odoo server or on several, get one booking; the other transaction fails on
the constraint and its visitor is told the time was just taken.
"""

import logging
import secrets
from datetime import timedelta

import psycopg2.errors
import pytz

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

try:
    import vobject
except ImportError:  # pragma: no cover - a dependency of Odoo's calendar
    vobject = None


class BookingRefused(UserError):
    """The slot cannot be booked; ``reason`` says why (see
    ``autoreg.booking.slot._slot_refusal``)."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


class AutoregBooking(models.Model):
    _name = "autoreg.booking"
    _description = "Appointment Booking"
    _order = "start desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    service_id = fields.Many2one(
        comodel_name="autoreg.web.service", required=True, readonly=True, ondelete="restrict",
        index=True,
    )
    user_id = fields.Many2one(
        comodel_name="res.users", string="Member", required=True, readonly=True,
        ondelete="restrict", index=True,
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", required=True, readonly=True,
        ondelete="restrict", index=True,
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, readonly=True,
        default=lambda self: self.env.company,
    )
    start = fields.Datetime(required=True, readonly=True)
    stop = fields.Datetime(required=True, readonly=True)
    blocked_until = fields.Datetime(
        required=True, readonly=True, help="The end of the appointment and its buffer."
    )
    state = fields.Selection(
        selection=[("booked", "Booked"), ("cancelled", "Cancelled"),
                   ("rescheduled", "Rescheduled"), ("no_show", "No-show")],
        default="booked", required=True, readonly=True, index=True,
    )
    calendar_event_id = fields.Many2one(
        comodel_name="calendar.event", string="Calendar event", readonly=True,
        ondelete="set null",
    )
    ticket_id = fields.Many2one(
        comodel_name="helpdesk.ticket", string="Request", readonly=True, ondelete="set null",
        index="btree_not_null",
    )
    inbound_id = fields.Many2one(
        comodel_name="autoreg.inbound", string="Inbound message", readonly=True,
        ondelete="set null",
    )
    rescheduled_to_id = fields.Many2one(
        comodel_name="autoreg.booking", string="Rescheduled to", readonly=True,
        ondelete="set null",
    )
    access_token = fields.Char(
        readonly=True, copy=False, groups="base.group_system",
        default=lambda self: secrets.token_urlsafe(24),
    )
    reminder_sent = fields.Boolean(readonly=True, copy=False)
    start_label = fields.Char(
        string="When", compute="_compute_start_label",
        help="The start in the customer's time zone (else the company's).",
    )
    manage_url = fields.Char(
        string="Customer's link", compute="_compute_manage_url",
        help="The signed page where the customer reschedules or cancels.",
    )

    _sql_constraints = [
        (
            "no_overlap",
            "EXCLUDE USING gist (int4range(user_id, user_id, '[]') WITH &&, "
            "tsrange(start, blocked_until) WITH &&) WHERE (state = 'booked')",
            "This member is already booked at that time.",
        ),
        ("stop_after_start", "CHECK(stop > start AND blocked_until >= stop)",
         "An appointment ends after it starts."),
    ]

    @api.depends("service_id.name", "partner_id.name")
    def _compute_name(self):
        for booking in self:
            booking.name = f"{booking.service_id.name or ''} – {booking.partner_id.name or ''}"

    def _compute_start_label(self):
        for booking in self:
            booking.start_label = booking._when() if booking.start else False

    def _compute_manage_url(self):
        for booking in self:
            booking.manage_url = booking._link() if booking.id else False

    # ------------------------------------------------------------------
    # Take a slot
    # ------------------------------------------------------------------

    @api.model
    def _take(self, service, start, member, partner, team, exclude=None):
        """Book ``start`` of ``service`` for ``partner`` with ``member`` (a
        user, or empty: any free member, fair by the team's policy).

        Must run as intake (sudo). The free times are checked again here,
        and the database refuses an overlapping booking committed
        meanwhile by another transaction.

        :param exclude: the booking being rescheduled, whose time counts as free
        :raise BookingRefused: the slot cannot be booked; nothing was written
        """
        slots = self.env["autoreg.booking.slot"]
        reason, slot = slots._slot_refusal(service, start, member, exclude=exclude)
        if reason:
            raise BookingRefused(slots._refusal_message(reason), reason)
        for user in self._members_in_turn(team, slot.users):
            try:
                with self.env.cr.savepoint():
                    if exclude:
                        exclude.state = "rescheduled"
                        exclude.flush_recordset(["state"])  # before the constraint checks
                    return self.create({
                        "service_id": service.id,
                        "user_id": user.id,
                        "partner_id": partner.id,
                        "company_id": (service.company_id or self.env.company).id,
                        "start": slot.start,
                        "stop": slot.stop,
                        "blocked_until": slot.stop
                        + timedelta(minutes=service.buffer_minutes or 0),
                    })
            except psycopg2.errors.ExclusionViolation:
                _logger.info("Slot %s of %s taken meanwhile for user %s",
                             start, service.name, user.id)
        raise BookingRefused(slots._refusal_message("taken"), "taken")

    @api.model
    def _run_booked_corridor(self, inbound):
        """The corridor for a message that books a time (``web_service_id``,
        ``web_start``, ``web_member_id``), whatever its door: all (booking,
        request, event) or nothing. A time that cannot be booked any more
        ends the message *ignored* with the reason.

        :return: the ``BookingRefused`` error, or None when booked
        """
        try:
            with self.env.cr.savepoint():
                inbound._run_corridor()
        except BookingRefused as refusal:
            inbound._finish("ignored", refusal.args[0])
            return refusal
        return None

    @api.model
    def _register_booked(self, inbound, team, register):
        """Take the message's time before anything else is written, then
        register its request with the door's ``register(inbound, team)``;
        the member holding the time gets the request and the event.

        :raise BookingRefused: taken meanwhile, past, service archived...
        """
        booking = self._take(
            inbound.web_service_id.with_context(active_test=False),
            inbound.web_start,
            inbound.web_member_id,
            inbound.partner_id,
            team,
        )
        booking.inbound_id = inbound
        ticket, created = register(inbound, team)
        booking._assign_request(ticket, created)
        inbound.calendar_event_id = booking._create_event()
        return ticket, created

    @api.model
    def _members_in_turn(self, team, users):
        """The free ``users``, the one whose turn it is by the team's policy
        first."""
        users = users.sorted("id")
        if len(users) <= 1 or not team:
            return users
        if team.autoreg_assignment_policy == "least_busy":
            counts = self.env["autoreg.assignee.load"]._counts(team, users)
            return users.sorted(lambda user: (counts.get(user.id, 0), user.id))
        turn = self.env["autoreg.assignment.policy"]._next_turn(team)
        first = (turn - 1) % len(users)
        return users[first:] + users[:first]

    @api.model
    def _booked_spans(self, members, start, stop, exclude=None):
        """``[(user id, start, blocked until)]`` of the members' bookings
        that overlap ``[start, stop)`` (through the constraint's index)."""
        self.flush_model(["user_id", "start", "blocked_until", "state"])
        self.env.cr.execute(
            """
            SELECT user_id, start, blocked_until
              FROM autoreg_booking
             WHERE state = 'booked'
               AND user_id = ANY(%(users)s)
               AND tsrange(start, blocked_until) && tsrange(%(start)s, %(stop)s)
               AND id != ALL(%(excluded)s)
            """,
            {"users": members.ids, "start": start, "stop": stop,
             "excluded": (exclude.ids if exclude else None) or [0]},
        )
        return self.env.cr.fetchall()

    # ------------------------------------------------------------------
    # The member's calendar and the request
    # ------------------------------------------------------------------

    def _create_event(self):
        """The confirmed event in the member's calendar, with the customer."""
        self.ensure_one()
        event = (
            self.env["calendar.event"]
            .with_context(no_mail_to_attendees=True, mail_create_nosubscribe=True)
            .create({
                "name": self.name,
                "start": self.start,
                "stop": self.stop,
                "user_id": self.user_id.id,
                "partner_ids": [(6, 0, (self.user_id.partner_id | self.partner_id).ids)],
                "show_as": "busy",
                "res_model_id": self.env["ir.model"]._get_id("helpdesk.ticket")
                if self.ticket_id else False,
                "res_id": self.ticket_id.id,
            })
        )
        event.attendee_ids.write({"state": "accepted"})
        self.calendar_event_id = event
        return event

    def _assign_request(self, ticket, created):
        """The request goes to the member who holds the slot."""
        self.ensure_one()
        self.ticket_id = ticket
        if not created or ticket.user_id:
            return
        reason = self.env._("Booked %(service)s on %(when)s with %(user)s.",
                            service=self.service_id.name, when=self._when(),
                            user=self.user_id.name)
        ticket.with_context(autoreg_assigning=True).write(
            {"user_id": self.user_id.id, "autoreg_assignment_reason": reason}
        )
        ticket.message_post(body=reason, subtype_xmlid="mail.mt_note")
        ticket._autoreg_notify_assignee(self.user_id)

    def _when(self, tz_name=None):
        """The start in ``tz_name`` (default the customer's, else the company's)."""
        self.ensure_one()
        tz_name = (tz_name or self.partner_id.tz
                   or self.env["autoreg.booking.slot"]._company_tz(self.company_id))
        when = tools.format_datetime(self.env, self.start, tz=tz_name, dt_format="medium")
        return f"{when} ({tz_name})"

    # ------------------------------------------------------------------
    # Signed links: reschedule and cancel
    # ------------------------------------------------------------------

    @api.model
    def _of_token(self, booking_id, token):
        """The booking of a signed link, or an empty recordset."""
        # sudo: the token stands for the customer's right on their booking
        booking = self.sudo().browse(booking_id).exists()
        if booking and token and tools.consteq(booking.access_token or "", token):
            return booking
        return self.browse()

    def _link(self, action=None):
        self.ensure_one()
        path = f"/customer/booking/{self.id}/{self.sudo().access_token}"
        return f"{self.get_base_url()}{path}" + (f"/{action}" if action else "")

    def _usable_refusal(self):
        """Why the link of this booking can no longer change it, or False."""
        self.ensure_one()
        if self.state == "cancelled":
            return self.env._("This appointment was cancelled already.")
        if self.state == "rescheduled":
            return self.env._("This appointment was moved already; use the link of the "
                              "latest confirmation.")
        if self.start <= fields.Datetime.now():
            return self.env._("This appointment has begun or passed; please contact us.")
        return False

    def _cancel(self, by_customer=True):
        """Free the slot, remove the event, tell the request."""
        self.ensure_one()
        refusal = self._usable_refusal()
        if refusal:
            raise UserError(refusal)
        self.state = "cancelled"
        if self.calendar_event_id:
            self.calendar_event_id.with_context(no_mail_to_attendees=True).active = False
        if self.ticket_id:
            self.ticket_id.message_post(
                body=self.env._("Appointment of %(when)s cancelled by %(who)s.",
                                when=self._when(),
                                who=self.partner_id.name if by_customer else self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def _reschedule(self, start, member=None):
        """Move the appointment to ``start``: a new booking (new links) with
        the same member if free, else ``member`` or any free member; the
        event and the request follow. This booking is then *rescheduled*.

        :raise BookingRefused: the new time cannot be booked; nothing changed
        """
        self.ensure_one()
        refusal = self._usable_refusal()
        if refusal:
            raise UserError(refusal)
        team = self.ticket_id.team_id
        try:
            new = self._take(self.service_id, start, member or self.user_id, self.partner_id,
                             team, exclude=self)
        except BookingRefused:
            if member:
                raise
            new = self._take(self.service_id, start, member, self.partner_id, team,
                             exclude=self)
        new.write({"ticket_id": self.ticket_id.id, "inbound_id": self.inbound_id.id,
                   "calendar_event_id": self.calendar_event_id.id})
        self.rescheduled_to_id = new
        event = self.calendar_event_id
        if event:
            event.with_context(no_mail_to_attendees=True).write({
                "start": new.start, "stop": new.stop, "user_id": new.user_id.id,
                "partner_ids": [(6, 0, (new.user_id.partner_id | new.partner_id).ids)],
            })
            event.attendee_ids.write({"state": "accepted"})
        if self.ticket_id:
            if self.ticket_id.user_id == self.user_id and new.user_id != self.user_id:
                self.ticket_id.user_id = new.user_id
            self.ticket_id.message_post(
                body=self.env._("Appointment moved from %(old)s to %(new)s.",
                                old=self._when(), new=new._when()),
                subtype_xmlid="mail.mt_note",
            )
        return new

    # ------------------------------------------------------------------
    # Confirmation and reminders
    # ------------------------------------------------------------------

    def _ics(self):
        """An iCalendar invitation of the appointment (nothing the visitor
        typed in it: the service, the company, the time)."""
        self.ensure_one()
        cal = vobject.iCalendar()
        cal.add("method").value = "PUBLISH"
        event = cal.add("vevent")
        event.add("uid").value = f"autoreg-booking-{self.id}@{self.get_base_url().split('//')[-1]}"
        event.add("dtstamp").value = pytz.utc.localize(fields.Datetime.now())
        event.add("dtstart").value = pytz.utc.localize(self.start)
        event.add("dtend").value = pytz.utc.localize(self.stop)
        event.add("summary").value = f"{self.service_id.name} – {self.company_id.name}"
        event.add("description").value = self.env._(
            "Reschedule or cancel: %(link)s", link=self._link()
        )
        event.add("status").value = "CONFIRMED"
        return cal.serialize().encode()

    def _send_confirmation(self):
        self.ensure_one()
        attachment = self.env["ir.attachment"].create({
            "name": "appointment.ics",
            "raw": self._ics(),
            "mimetype": "text/calendar",
            "res_model": self._name,
            "res_id": self.id,
        })
        template = self.env.ref("client_autoreg.mail_template_booking_confirmation")
        template.with_context(lang=self.partner_id.lang)._autoreg_send(
            self.id, email_values={"attachment_ids": [(4, attachment.id)]}
        )

    @api.model
    def _cron_send_reminders(self):
        """Remind customers of their appointments, by email, and by Telegram
        to those whose chat is linked to their contact."""
        hours = self._reminder_hours()
        now = fields.Datetime.now()
        bookings = self.search([
            ("state", "=", "booked"), ("reminder_sent", "=", False),
            ("start", ">", now), ("start", "<=", now + timedelta(hours=hours)),
        ], limit=500)
        template = self.env.ref("client_autoreg.mail_template_booking_reminder")
        for booking in bookings:
            if booking.partner_id.email:
                template.with_context(lang=booking.partner_id.lang).send_mail(booking.id)
            booking._remind_by_telegram()
            booking.reminder_sent = True
        if bookings:
            self.env["mail.mail"]._autoreg_send_soon()  # the reminders, in one batch
        return True

    @api.model
    def _reminder_hours(self):
        """How long before an appointment its reminder goes (system
        parameter ``client_autoreg.booking_reminder_hours``, default 24)."""
        raw = self.env["ir.config_parameter"].sudo().get_param(  # sudo: a setting
            "client_autoreg.booking_reminder_hours", "24"
        )
        try:
            return max(float(raw), 0.0)
        except ValueError:
            return 24.0

    def _remind_by_telegram(self):
        self.ensure_one()
        chats = self.env["autoreg.telegram.chat"].search([
            ("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id),
        ])
        for chat in chats:
            lang = chat._lang()
            text = self.with_context(lang=lang).env._(
                "Reminder: %(service)s on %(when)s.",
                service=self.service_id.with_context(lang=lang).name, when=self._when(),
            )
            chat._say(text, ticket=self.ticket_id)

    # ------------------------------------------------------------------
    # Staff
    # ------------------------------------------------------------------

    def _check_staff(self):
        if not self.env.user.has_group("client_autoreg.group_autoreg_user"):
            raise AccessError(self.env._("Only intake users can change appointments."))
        self.check_access("read")  # records of the user's companies only

    def action_cancel(self):
        self._check_staff()
        for booking in self:
            booking.sudo()._cancel(by_customer=False)  # sudo: the event of another member
        return True

    def action_mark_no_show(self):
        """The customer did not come: counted per service in the pivot."""
        self._check_staff()
        for booking in self:
            if booking.state != "booked" or booking.start > fields.Datetime.now():
                raise UserError(self.env._(
                    "Only a booked appointment that has begun can be marked as a no-show."))
            booking.sudo().state = "no_show"  # sudo: intake users read bookings only
            if booking.ticket_id:
                booking.ticket_id.sudo().message_post(
                    body=self.env._("The customer did not come to the appointment of "
                                    "%(when)s (marked by %(user)s).",
                                    when=booking._when(), user=self.env.user.name),
                    subtype_xmlid="mail.mt_note",
                )
        return True
