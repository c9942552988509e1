"""The retention job over a million inbound messages.

Inserts ``--rows`` inbound messages with SQL (``generate_series``): 60%
spam and ignored, 30% registered with their raw payload, 10% recent (not
expired), all of them but the recent ones older than the periods. Then runs
the job's categories one by one, as the nightly cron does (a commit after
each batch of ``--batch``), and prints per category the rows handled, the
batches, the rate (rows/s) and the memory of the process (peak RSS, and its
growth during the run: bounded batches keep it flat). Nothing is asserted.
Removes what it inserted (and its log lines) at the end. Run it with scripts/bench.sh retention.
"""

import argparse
import resource
import time

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

TAG = "bench-retention"


def rss_mib():
    """The current resident memory of this process (MiB)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(env, rows):
    """Insert ``rows`` inbound messages behind the ORM (a fixture)."""
    company = env.company.id
    env.cr.execute(
        f"""
        INSERT INTO autoreg_inbound (door, idempotency_key, state, company_id, name,
                                     sender_email, payload, body, attempt_count,
                                     create_uid, write_uid, create_date, write_date)
        SELECT 'website', '{TAG}:' || n,
               CASE WHEN n %% 10 < 6 THEN (CASE WHEN n %% 2 = 0 THEN 'spam' ELSE 'ignored' END)
                    WHEN n %% 10 < 9 THEN 'done'
                    ELSE 'spam' END,
               %s, 'bench ' || n, 'bench' || n || '@example.in',
               '{{"bench": ' || n || ', "text": "' || repeat('x', 200) || '"}}',
               '<p>bench message ' || n || '</p>', 1, 1, 1,
               CASE WHEN n %% 10 < 9 THEN now() - interval '400 days' ELSE now() END,
               now()
          FROM generate_series(1, %s) AS n
        """,  # noqa: S608 - TAG is a constant
        (company, rows),
    )
    env.cr.execute("ANALYZE autoreg_inbound")
    env.cr.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        params = env["ir.config_parameter"]
        saved = {name: params.get_param(f"client_autoreg.retention_{name}_days")
                 for name in ("registered", "spam")}
        params.set_param("client_autoreg.retention_registered_days", 180)
        params.set_param("client_autoreg.retention_spam_days", 30)
        env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM autoreg_retention_log")
        last_log = env.cr.fetchone()[0]
        started = time.perf_counter()
        fill(env, args.rows)
        print(f"inserted {args.rows:,} inbound messages in "
              f"{time.perf_counter() - started:.1f} s (SQL generate_series)")
        print(f"{'category':>20} {'rows':>10} {'batches':>8} {'seconds':>9} {'rows/s':>9} "
              f"{'RSS MiB':>8} {'growth':>7} {'peak MiB':>9}")
        Retention = env["autoreg.retention"]
        try:
            for category in ("spam", "registered_payload"):
                env.invalidate_all()
                log_before = env["autoreg.retention.log"].search_count(
                    [("category", "=", category)])
                rss_before = rss_mib()
                started = time.perf_counter()
                count = Retention._purge(category, batch=args.batch, auto_commit=True)
                seconds = time.perf_counter() - started
                batches = env["autoreg.retention.log"].search_count(
                    [("category", "=", category)]) - log_before
                print(f"{category:>20} {count:>10,} {batches:>8,} {seconds:>9.1f} "
                      f"{count / seconds if seconds else 0:>9.0f} {rss_mib():>8.0f} "
                      f"{rss_mib() - rss_before:>+7.0f} {peak_mib():>9.0f}")
            env.cr.execute("SELECT count(*) FROM autoreg_inbound WHERE idempotency_key LIKE %s "
                           "AND create_date > now() - interval '1 day'", (f"{TAG}:%",))
            print(f"not expired, kept: {env.cr.fetchone()[0]:,}")
        finally:
            env.cr.rollback()
            env.cr.execute("DELETE FROM autoreg_inbound WHERE idempotency_key LIKE %s",
                           (f"{TAG}:%",))
            env.cr.execute("DELETE FROM autoreg_retention_log WHERE id > %s", (last_log,))
            for name, value in saved.items():
                params.set_param(f"client_autoreg.retention_{name}_days", value or "")
            env.cr.commit()


if __name__ == "__main__":
    main()
