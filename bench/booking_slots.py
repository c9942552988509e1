"""Cost of listing a week of free appointment slots as calendars fill up.

A team of 20 members works Monday to Friday, 09:00-13:00 and 14:00-18:00
(Europe/Madrid); a one-hour service with a 15-minute buffer starts every 30
minutes. With 10, 1,000 and 10,000 existing calendar events of the members
(spread over the two years around the week, as a real calendar's history
and future are), times ``autoreg.booking.slot._free_slots`` for the next
full week (median of 20, in ms) and counts its SQL queries. For comparison,
the same events read the way the ORM would without the module's index
(``calendar.event`` searched by attendee and overlap). Everything happens in
one transaction that is rolled back. Run it with scripts/bench.sh booking.
"""

import argparse
import statistics
import time
from datetime import datetime, timedelta

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

SIZES = (10, 1_000, 10_000)
MEMBERS = 20
SAMPLES = 20


def make_team(env):
    calendar = env["resource.calendar"].create({
        "name": "Booking bench hours", "tz": "Europe/Madrid",
        "attendance_ids": [(5, 0, 0)] + [
            (0, 0, {"name": f"{day} {part}", "dayofweek": str(day), "hour_from": start,
                    "hour_to": end, "day_period": part})
            for day in range(5)
            for part, start, end in (("morning", 9, 13), ("afternoon", 14, 18))
        ],
    })
    users = env["res.users"].create([
        {"name": f"Bench member {n}", "login": f"bench-booking-{n}", "tz": "Europe/Madrid"}
        for n in range(MEMBERS)
    ])
    env["resource.resource"].create([
        {"name": user.name, "user_id": user.id, "calendar_id": calendar.id,
         "tz": "Europe/Madrid"} for user in users
    ])
    service = env["autoreg.web.service"].create({
        "name": "Bench visit", "kind": "appointment", "duration": 1.0, "buffer_minutes": 15,
        "step_minutes": 30, "notice_hours": 0, "horizon_days": 400,
        "member_ids": [(6, 0, users.ids)],
    })
    return users, service


def fill_events(env, users, count, center):
    """Bulk-insert ``count`` one-hour events, each with one member as
    attendee, spread over a year before and after ``center`` (a fixture,
    hence SQL)."""
    env.cr.execute(
        """
        WITH new_events AS (
            INSERT INTO calendar_event (name, start, stop, duration, allday, active, show_as,
                                        privacy, create_uid, write_uid, create_date, write_date)
            SELECT 'bench ' || n,
                   %(center)s + make_interval(hours => (n * 7919) %% (2 * 365 * 24) - 365 * 24),
                   %(center)s + make_interval(hours => (n * 7919) %% (2 * 365 * 24) - 365 * 24 + 1),
                   1.0, false, true, 'busy', 'public', 1, 1, now(), now()
              FROM generate_series(1, %(count)s) AS n
            RETURNING id
        )
        , attendees AS (
            INSERT INTO calendar_attendee (event_id, partner_id, state)
            SELECT id, (%(partners)s::int[])[1 + id %% %(members)s], 'accepted' FROM new_events
            RETURNING event_id, partner_id
        )
        INSERT INTO calendar_event_res_partner_rel (calendar_event_id, res_partner_id)
        SELECT event_id, partner_id FROM attendees
        """,
        {"center": center, "count": count, "partners": users.partner_id.ids,
         "members": len(users)},
    )
    env.cr.execute("ANALYZE calendar_event; ANALYZE calendar_attendee")
    env.invalidate_all()


def events_in(env, users, start, stop):
    return env["calendar.event"].search_count([
        ("partner_ids", "in", users.partner_id.ids), ("start", "<", stop), ("stop", ">", start),
    ])


def measure(env, service, start, stop):
    slots = env["autoreg.booking.slot"]
    timings, queries, found = [], [], 0
    for _sample in range(SAMPLES):
        env.invalidate_all()
        before, started = env.cr.sql_log_count, time.perf_counter()
        found = sum(len(slot.users) for slot in slots._free_slots(service, start, stop))
        timings.append(1000 * (time.perf_counter() - started))
        queries.append(env.cr.sql_log_count - before)
    return statistics.median(timings), statistics.median(queries), found


def measure_orm_read(env, users, start, stop):
    """The members' events of the week read through the ORM (search by
    attendee and overlap, then read the times): what a naive slot finder
    would do."""
    timings = []
    for _sample in range(SAMPLES):
        env.invalidate_all()
        started = time.perf_counter()
        events = env["calendar.event"].search([
            ("partner_ids", "in", users.partner_id.ids),
            ("start", "<", stop), ("stop", ">", start),
        ])
        events.read(["start", "stop", "partner_ids"])
        timings.append(1000 * (time.perf_counter() - started))
    return statistics.median(timings)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        env.company.partner_id.tz = "Europe/Madrid"
        users, service = make_team(env)
        today = datetime.utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        start = today + timedelta(days=7 - today.weekday())  # next Monday
        stop = start + timedelta(days=7)
        print(f"A week of free slots for {MEMBERS} members (median of {SAMPLES})")
        print(f"{'events':>8} {'in the week':>12} {'member slots':>13} {'_free_slots':>12} "
              f"{'SQL':>5} {'ORM read of the week':>21}")
        measure(env, service, start, stop)  # warm up: the first reads load the registry's caches
        filled = 0
        for size in SIZES:
            fill_events(env, users, size - filled, start + timedelta(days=3))
            filled = size
            ms, queries, found = measure(env, service, start, stop)
            orm_ms = measure_orm_read(env, users, start, stop)
            print(f"{size:>8,} {events_in(env, users, start, stop):>12} {found:>13} "
                  f"{ms:9.1f} ms {queries:5.0f} {orm_ms:18.1f} ms")
        cr.rollback()


if __name__ == "__main__":
    main()
