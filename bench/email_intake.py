"""Email intake benchmark: client_autoreg against stock Odoo + helpdesk_mgmt.

The same generated messages (known senders, unknown senders, spam) go through
Odoo's mail gateway (``mail.thread.message_process``, one transaction per
message as fetchmail does) in two databases, in this one process:

- stock:    helpdesk_mgmt only; every message becomes a ticket;
- same-db:  the client_autoreg database with intake switched off, i.e. the
            stock gateway with client_autoreg's dependencies installed;
- autoreg:  helpdesk_mgmt + client_autoreg; messages are stored, filtered,
            matched, registered or held for review.

Prints messages per second, SQL queries per message (p50 / mean) and the peak
of Python memory allocated while processing (tracemalloc, separate pass).
Run it with scripts/bench.sh.
"""

import argparse
import statistics
import time
import tracemalloc
import uuid
from email.message import EmailMessage

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

KNOWN_PARTNERS = 200


def build_messages(count, run):
    messages = []
    for index in range(count):
        kind = ("known", "known", "known", "known", "known",
                "unknown", "unknown", "unknown", "spam", "spam")[index % 10]
        message = EmailMessage()
        if kind == "unknown":
            message["From"] = f"Visitor {index} <visitor{index}.{run}@elsewhere.example>"
        else:
            number = index % KNOWN_PARTNERS
            message["From"] = f"Customer {number} <customer{number}@bench.example>"
        if kind == "spam":
            message["X-Spam-Flag"] = "YES"
        message["To"] = "support@bench.example"
        message["Subject"] = f"Request {index} ({kind})"
        message["Message-Id"] = f"<bench-{run}-{index}@bench.example>"
        message.set_content(f"Hello,\n\nThis is request {index}.\n\nRegards")
        messages.append((kind, message.as_bytes()))
    return messages


def prepare(registry):
    """A support team and the known customers, in either database."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        # 200 customers writing thousands of mails within minutes would trip
        # Odoo's loop detection (20 mails per sender per 2 hours) in both
        # databases alike; real traffic does not, so it is lifted here.
        env["ir.config_parameter"].set_param("mail.gateway.loop.threshold", 10**6)
        if not env["helpdesk.ticket.team"].search_count([]):
            env["helpdesk.ticket.team"].create({"name": "Bench Support"})
        Partner = env["res.partner"]
        existing = set(
            Partner.search([("email", "=like", "customer%@bench.example")]).mapped("email")
        )
        Partner.create([
            {"name": f"Customer {number}", "email": f"customer{number}@bench.example"}
            for number in range(KNOWN_PARTNERS)
            if f"customer{number}@bench.example" not in existing
        ])


def process_all(registry, messages, bypass=False):
    queries, started = [], time.perf_counter()
    context = {"fetchmail_cron_running": True, "autoreg_intake_off": bypass}
    for _kind, raw in messages:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, context)
            before = cr.sql_log_count
            env["mail.thread"].message_process("helpdesk.ticket", raw)
            cr.flush()
            queries.append(cr.sql_log_count - before)
    elapsed = time.perf_counter() - started
    return elapsed, queries


def peak_memory(registry, messages, bypass=False):
    tracemalloc.start()
    process_all(registry, messages, bypass)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stock-db", required=True)
    parser.add_argument("--autoreg-db", required=True)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--memory-messages", type=int, default=200)
    parser.add_argument("-c", "--config", required=True)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])

    rows = []
    variants = (
        ("stock", args.stock_db, False),
        # Same database as autoreg, intake switched off: the modules that
        # client_autoreg depends on (website, mass_mailing, sms...) are there.
        ("same-db", args.autoreg_db, True),
        ("autoreg", args.autoreg_db, False),
    )
    for label, db, bypass in variants:
        registry = Registry(db)
        prepare(registry)
        run = uuid.uuid4().hex[:8]
        messages = build_messages(args.messages, run)
        process_all(registry, build_messages(20, f"warm-{run}"), bypass)  # first-use costs
        elapsed, queries = process_all(registry, messages, bypass)
        peak = peak_memory(registry, build_messages(args.memory_messages, f"mem-{run}"), bypass)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            tickets = env["helpdesk.ticket"].search_count(
                [("message_ids.message_id", "like", f"bench-{run}-")]
            )
            states = {}
            if "autoreg.inbound" in env and not bypass:
                for (state, count) in env["autoreg.inbound"]._read_group(
                    [("idempotency_key", "like", f"bench-{run}-")], ["state"], ["__count"]
                ):
                    states[state] = count
        rows.append((label, len(messages), elapsed, queries, peak, tickets, states))

    print(f"\nEmail intake, {args.messages} messages: 50% known, 30% unknown, 20% spam")
    print(f"{'':8} {'msg/s':>8} {'ms/msg':>8} {'SQL p50':>8} {'SQL mean':>9} "
          f"{'peak MiB':>9} {'tickets':>8}  outcome")
    for label, count, elapsed, queries, peak, tickets, states in rows:
        outcome = ", ".join(f"{k} {v}" for k, v in sorted(states.items())) or "-"
        print(f"{label:8} {count / elapsed:8.1f} {1000 * elapsed / count:8.2f} "
              f"{statistics.median(queries):8.0f} {statistics.mean(queries):9.1f} "
              f"{peak / 2**20:9.1f} {tickets:8d}  {outcome}")
    print("\nSQL queries per message by kind (mean):")
    for label, _count, _elapsed, queries, *_rest in rows:
        by_kind = {}
        for (kind, _raw), count in zip(messages, queries, strict=True):
            by_kind.setdefault(kind, []).append(count)
        print(f"  {label:8} " + ", ".join(
            f"{kind} {statistics.mean(counts):.1f}" for kind, counts in sorted(by_kind.items())
        ))
    stock, same_db, ours = rows
    for label, base in (("stock", stock), ("same-db", same_db)):
        print(f"\ncost per message, autoreg / {label}: time {ours[2] / base[2]:.2f}x, "
              f"SQL {statistics.mean(ours[3]) / statistics.mean(base[3]):.2f}x, "
              f"peak memory {ours[4] / base[4]:.2f}x")
    # One line per compared figure, for scripts: client_autoreg / stock peer.
    print(f"\nratio mail time {ours[2] / stock[2]:.2f}")
    print(f"ratio mail sql {statistics.mean(ours[3]) / statistics.mean(stock[3]):.2f}")
    print(f"ratio mail memory {ours[4] / stock[4]:.2f}")


if __name__ == "__main__":
    main()
