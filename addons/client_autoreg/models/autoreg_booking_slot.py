# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Free appointment slots: who can deliver a service, and when.

A slot of a service is free for a member when

- it lies in the member's working time: the working schedule of their
  resource (an employee's, with hr), or the company's schedule for a user
  without one, less their own leaves and the company's
  (``resource.calendar._work_intervals_batch``);
- it starts on the service's grid (every ``step_minutes`` from the start of
  a working period), no sooner than the minimum notice and within the
  booking horizon;
- the appointment and its buffer overlap none of the member's calendar
  events (as an attendee who has not declined, shown as busy) and none of
  their bookings.

Times are naive UTC datetimes, as Odoo stores them; the schedules are read
in their own time zone, so a 09:00 start stays 09:00 across a daylight
saving change. The calendar events of all members over the whole range are
read with one query, through a GiST index on their time span.
"""

from collections import defaultdict, namedtuple
from datetime import datetime, timedelta

import pytz

from odoo import api, fields, models

Slot = namedtuple("Slot", ["start", "stop", "users"])


def to_utc_naive(moment):
    return moment.astimezone(pytz.utc).replace(tzinfo=None)


class AutoregBookingSlot(models.AbstractModel):
    _name = "autoreg.booking.slot"
    _description = "Appointment Slots"

    def init(self):
        # The busy query reads the events overlapping a week among many:
        # index their time span, and their attendees by event.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS autoreg_calendar_event_span_idx
                ON calendar_event USING gist (tsrange(start, GREATEST(start, stop)));
            CREATE INDEX IF NOT EXISTS autoreg_calendar_attendee_event_partner_idx
                ON calendar_attendee (event_id, partner_id);
            """
        )

    # ------------------------------------------------------------------
    # The window a service may be booked in
    # ------------------------------------------------------------------

    @api.model
    def _window(self, service, now=None):
        """``(earliest, latest)`` start of a booking of ``service`` now."""
        now = now or fields.Datetime.now()
        earliest = now + timedelta(hours=max(service.notice_hours, 0.0))
        latest = now + timedelta(days=max(service.horizon_days, 0))
        return earliest, latest

    # ------------------------------------------------------------------
    # Free slots
    # ------------------------------------------------------------------

    @api.model
    def _free_slots(self, service, start=None, stop=None, members=None, exclude=None, now=None):
        """The free slots of ``service`` starting in ``[start, stop)``
        (default: its whole booking window), earliest first.

        :param members: restrict to these users (default: all who deliver it)
        :param exclude: an ``autoreg.booking`` not to count as busy (the one
            being rescheduled)
        :return: list of ``Slot(start, stop, users)``, ``users`` the members
            free for it, in a stable order
        """
        earliest, latest = self._window(service, now)
        start = max(start or earliest, earliest)
        stop = min(stop or latest, latest)
        allowed = service._autoreg_members()
        members = allowed & members if members is not None else allowed
        if not members or start >= stop:
            return []
        duration = timedelta(hours=service.duration or 1.0)
        buffer = timedelta(minutes=service.buffer_minutes or 0)
        busy = self._busy_intervals(members, start, stop + duration + buffer, exclude)
        free = defaultdict(list)
        for user_id, begins in self._candidates(service, members, start, stop).items():
            taken = busy.get(user_id, [])
            for begin in begins:
                if not self._overlaps(taken, begin, begin + duration + buffer):
                    free[begin].append(user_id)
        return [
            Slot(begin, begin + duration, self.env["res.users"].browse(user_ids))
            for begin, user_ids in sorted(free.items())
        ]

    @api.model
    def _candidates(self, service, members, start, stop):
        """``{user id: [start]}``: the starts in ``[start, stop)`` on the
        service's grid of each member's working time, busy or not."""
        duration = timedelta(hours=service.duration or 1.0)
        step = timedelta(minutes=service.step_minutes or 30)
        # Whole days are read, so that the grid is laid from the beginning
        # of each working period, not from ``start``.
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        work = self._work_intervals(members, day - timedelta(days=1),
                                    stop + duration + timedelta(days=1))
        return {
            user_id: [begin for begin in self._grid(intervals, duration, step)
                      if start <= begin < stop]
            for user_id, intervals in work.items()
        }

    @api.model
    def _grid(self, intervals, duration, step):
        """Starts every ``step`` from each working period's start, for
        appointments that end within the period."""
        for begin, end in intervals:
            moment = begin
            while moment + duration <= end:
                yield moment
                moment += step

    @staticmethod
    def _overlaps(intervals, begin, end):
        """Whether ``[begin, end)`` overlaps one of the sorted ``intervals``."""
        for busy_start, busy_stop in intervals:
            if busy_start >= end:
                return False
            if busy_stop > begin:
                return True
        return False

    # ------------------------------------------------------------------
    # Working time
    # ------------------------------------------------------------------

    @api.model
    def _work_intervals(self, members, start, stop):
        """``{user id: [(start, stop)]}``: working time less leaves, in naive
        UTC, per member, between naive UTC ``start`` and ``stop``."""
        # sudo: visitors see free times, which come from the members'
        # schedules and leaves; nothing of them is shown but the slots.
        members = members.sudo()
        start_utc, stop_utc = pytz.utc.localize(start), pytz.utc.localize(stop)
        resources = self.env["resource.resource"].sudo().search(
            [("user_id", "in", members.ids)], order="id"
        )
        resource_of = {}
        for resource in resources:
            resource_of.setdefault(resource.user_id.id, resource)
        by_calendar = defaultdict(lambda: self.env["resource.resource"].sudo())
        without_resource = defaultdict(list)
        for user in members:
            resource = resource_of.get(user.id)
            if resource and resource.calendar_id:
                by_calendar[resource.calendar_id] |= resource
            elif not resource:
                calendar = (user.company_id or self.env.company).resource_calendar_id
                if calendar:
                    without_resource[calendar].append(user.id)
            # a resource without a schedule (flexible hours) is never offered:
            # nothing says when they work
        work = {}
        for calendar, calendar_resources in by_calendar.items():
            intervals = calendar._work_intervals_batch(
                start_utc, stop_utc, resources=calendar_resources
            )
            for resource in calendar_resources:
                work[resource.user_id.id] = self._naive(intervals[resource.id])
        for calendar, user_ids in without_resource.items():
            # the company's schedule, less the company's leaves
            intervals = self._naive(calendar._work_intervals_batch(start_utc, stop_utc)[False])
            for user_id in user_ids:
                work[user_id] = intervals
        return work

    @staticmethod
    def _naive(intervals):
        return [(to_utc_naive(begin), to_utc_naive(end)) for begin, end, _recs in intervals]

    # ------------------------------------------------------------------
    # Busy time: calendar events and bookings
    # ------------------------------------------------------------------

    @api.model
    def _busy_intervals(self, members, start, stop, exclude=None):
        """``{user id: sorted [(start, stop)]}``: the members' calendar
        events (attendee not declined, shown as busy) and bookings that
        overlap ``[start, stop)``, in two queries whatever the number of
        members or events."""
        members = members.sudo()  # sudo: read to compute free times only
        user_of_partner = {user.partner_id.id: user.id for user in members}
        exclude = exclude or self.env["autoreg.booking"]
        busy = defaultdict(list)
        tz = pytz.timezone(self._company_tz())
        self.env["calendar.event"].flush_model(
            ["start", "stop", "allday", "start_date", "stop_date", "active", "show_as"]
        )
        self.env["calendar.attendee"].flush_model(["event_id", "partner_id", "state"])
        # All-day events are stored from 08:00 to 18:00 of their days: read
        # a day more on each side, and count their whole days.
        self.env.cr.execute(
            """
            SELECT attendee.partner_id, event.start, event.stop, event.allday,
                   event.start_date, event.stop_date
              FROM calendar_event event
              JOIN calendar_attendee attendee ON attendee.event_id = event.id
             WHERE tsrange(event.start, GREATEST(event.start, event.stop))
                   && tsrange(%(start)s, %(stop)s)
               AND attendee.partner_id = ANY(%(partners)s)
               AND attendee.state != 'declined'
               AND event.active
               AND COALESCE(event.show_as, 'busy') = 'busy'
               AND event.id != ALL(%(excluded_events)s)
            """,
            {
                "start": start - timedelta(days=1),
                "stop": stop + timedelta(days=1),
                "partners": list(user_of_partner),
                "excluded_events": exclude.calendar_event_id.ids or [0],
            },
        )
        for partner_id, begin, end, allday, first_day, last_day in self.env.cr.fetchall():
            if allday and first_day and last_day:
                begin = to_utc_naive(tz.localize(datetime.combine(first_day, datetime.min.time())))
                end = to_utc_naive(tz.localize(
                    datetime.combine(last_day + timedelta(days=1), datetime.min.time())
                ))
            if begin < stop and end > start:
                busy[user_of_partner[partner_id]].append((begin, end))
        for user_id, begin, end in self.env["autoreg.booking"]._booked_spans(
            members, start, stop, exclude
        ):
            busy[user_id].append((begin, end))
        for spans in busy.values():
            spans.sort()
        return busy

    @api.model
    def _company_tz(self, company=None):
        company = (company or self.env.company).sudo()  # sudo: its time zone only
        return company.partner_id.tz or company.resource_calendar_id.tz or "UTC"

    # ------------------------------------------------------------------
    # One slot: is it bookable, and why not
    # ------------------------------------------------------------------

    @api.model
    def _slot_refusal(self, service, start, member=None, exclude=None, now=None):
        """Why ``start`` cannot be booked for ``service`` with ``member`` (a
        user, or empty for any member), or ``(False, slot)`` if it can.

        :return: ``(reason, slot)``; ``reason`` one of ``service``,
            ``past``, ``notice``, ``horizon``, ``member``, ``forged``,
            ``taken``, else False
        """
        if not (service and service.active and service.kind == "appointment"):
            return "service", None
        now = now or fields.Datetime.now()
        earliest, latest = self._window(service, now)
        if start <= now:
            return "past", None
        if start < earliest:
            return "notice", None
        if start >= latest:
            return "horizon", None
        allowed = service._autoreg_members()
        if member and member not in allowed:
            return "member", None
        members = member or allowed
        end = start + timedelta(minutes=1)
        free = [slot for slot in self._free_slots(service, start, end, members, exclude, now)
                if slot.start == start]
        if free:
            return False, free[0]
        # On the grid of someone's working time, but taken; else never offered.
        candidates = self._candidates(service, members, start, end)
        on_grid = any(start in begins for begins in candidates.values())
        return ("taken" if on_grid else "forged"), None

    @api.model
    def _refusal_message(self, reason):
        messages = {
            "service": self.env._("This service can no longer be booked online; please "
                                  "choose another one."),
            "past": self.env._("This time has already passed; please choose a later one."),
            "notice": self.env._("This time is too soon to be booked online; please choose "
                                 "a later one."),
            "horizon": self.env._("This time is too far ahead to be booked yet; please "
                                  "choose an earlier one."),
            "member": self.env._("This person no longer takes appointments for this "
                                 "service; please choose another time."),
            "forged": self.env._("This time is not one we offer; please choose one of the "
                                 "times listed."),
            "taken": self.env._("This time was just taken; here are the next free times."),
        }
        return messages.get(reason) or messages["forged"]

    @api.model
    def _next_free(self, service, after=None, members=None, limit=5, exclude=None):
        """The next ``limit`` free slots of ``service`` from ``after``."""
        slots = []
        earliest, latest = self._window(service)
        begin = max(after or earliest, earliest)
        while begin < latest and len(slots) < limit:
            end = min(begin + timedelta(days=7), latest)
            slots += self._free_slots(service, begin, end, members, exclude)
            begin = end
        return slots[:limit]
