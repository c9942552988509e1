"""Cost of one automatic assignment as the team's open requests grow.

For 10, 1,000 and 100,000 open requests in a team of five members, times
``helpdesk.ticket._autoreg_assign()`` on a new request (median of 20, in ms)
and counts its SQL queries, for each policy. Everything happens in one
transaction that is rolled back. Run it with scripts/bench.sh assignment.
"""

import argparse
import statistics
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

SIZES = (10, 1_000, 100_000)
POLICIES = ("round_robin", "least_busy", "dispatcher")
SAMPLES = 20


def make_team(env):
    users = env["res.users"].create([
        {"name": f"Bench agent {n}", "login": f"bench-agent-{n}"} for n in range(5)
    ])
    return env["helpdesk.ticket.team"].create(
        {"name": "Assignment bench", "user_ids": [(6, 0, users.ids)], "user_id": users[0].id}
    )


def fill_open_requests(env, team, count):
    """Bulk-insert ``count`` open, assigned requests (a fixture, hence SQL)."""
    stage = team._get_applicable_stages().filtered(lambda s: not s.closed)[:1]
    env.cr.execute(
        """
        INSERT INTO helpdesk_ticket (name, description, number, stage_id, team_id, user_id,
                                     company_id, priority, kanban_state, active, sequence,
                                     create_uid, write_uid, create_date, write_date)
        SELECT 'bench ' || n, '<p>bench</p>', 'BENCH' || n, %s, %s,
               (%s::int[])[1 + n %% 5], %s, '1', 'normal', true, 10, 1, 1, now(), now()
        FROM generate_series(1, %s) AS n
        """,
        (stage.id, team.id, team.user_ids.ids, team.company_id.id or env.company.id, count),
    )
    env.cr.execute("ANALYZE helpdesk_ticket")
    env.invalidate_all()
    # Rows inserted behind the ORM: rebuild the per-member counters, as the
    # nightly job would.
    env["autoreg.assignee.load"]._recount()


def measure(env, team, policy):
    team.autoreg_assignment_policy = policy
    timings, queries = [], []
    for sample in range(SAMPLES):
        partner = env["res.partner"].create({"name": f"Bench customer {sample}"})
        ticket = env["helpdesk.ticket"].create({
            "name": "new", "description": "new", "team_id": team.id,
            "partner_id": partner.id, "user_id": False,
        })
        env.flush_all()
        before, started = env.cr.sql_log_count, time.perf_counter()
        ticket._autoreg_assign()
        env.flush_all()
        timings.append(1000 * (time.perf_counter() - started))
        queries.append(env.cr.sql_log_count - before)
    return statistics.median(timings), statistics.median(queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = Registry(args.db)
    print(f"One assignment (median of {SAMPLES}): ms / SQL queries")
    print(f"{'open requests':>14} " + " ".join(f"{policy:>18}" for policy in POLICIES))
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        team = make_team(env)
        filled = 0
        for size in SIZES:
            fill_open_requests(env, team, size - filled)
            filled = size
            cells = [measure(env, team, policy) for policy in POLICIES]
            print(f"{size:>14,} " + " ".join(f"{ms:10.2f} ms {q:4.0f} q" for ms, q in cells))
        cr.rollback()


if __name__ == "__main__":
    main()
