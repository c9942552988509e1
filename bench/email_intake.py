"""Email intake benchmark: client_autoreg against stock Odoo + helpdesk_mgmt.

The same generated messages go through Odoo's mail gateway
(``mail.thread.message_process``, one transaction per message as fetchmail
does) in two databases, in this one process:

- stock:    helpdesk_mgmt only; every message becomes a ticket;
- same-db:  the client_autoreg database with intake switched off, i.e. the
            stock gateway with client_autoreg's dependencies installed;
- autoreg:  helpdesk_mgmt + client_autoreg; messages are stored, filtered,
            matched, registered, assigned or held for review.

Two paths are measured separately, on what each run creates itself (the
database is the same before every run: the previous runs' requests, inbound
messages and contacts are deleted first):

- first contact: ``--messages`` mails, 50% from contacts who never wrote
  (they exist, with no request), 30% from unknown senders, 20% spam;
- returning: each of those contacts writes again while their first request
  is open (and, with client_autoreg, owned by a member of the team: the
  owner-first path of assignment).

Prints messages per second, SQL queries per message (p50 / mean) and the peak
of Python memory allocated while processing (tracemalloc, separate pass),
then one ``ratio mail <figure> <value>`` line per compared figure
(client_autoreg / stock). Run it with scripts/bench.sh.
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
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

BENCH_DOMAIN = "bench.example"
MEMBERS = 3
CHUNK = 25
KINDS = ("known", "known", "known", "known", "known",
         "unknown", "unknown", "unknown", "spam", "spam")


def mail(index, kind, run, sender):
    message = EmailMessage()
    message["From"] = sender
    if kind == "spam":
        message["X-Spam-Flag"] = "YES"
    message["To"] = f"support@{BENCH_DOMAIN}"
    message["Subject"] = f"Request {index} ({kind})"
    message["Message-Id"] = f"<bench-{run}-{index}@{BENCH_DOMAIN}>"
    message.set_content(f"Hello,\n\nThis is request {index}.\n\nRegards")
    return kind, message.as_bytes()


def customer_address(run, number):
    return f"customer{number}.{run}@{BENCH_DOMAIN}"


def first_contact_messages(count, run):
    """``count`` mails; the known senders are contacts 0.. of this run."""
    messages, known = [], 0
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        if kind == "unknown":
            sender = f"Visitor {index} <visitor{index}.{run}@elsewhere.example>"
        elif kind == "spam":
            sender = f"Offers {index} <offers{index}.{run}@elsewhere.example>"
        else:
            sender = f"Customer {known} <{customer_address(run, known)}>"
            known += 1
        messages.append(mail(index, kind, run, sender))
    return messages


def returning_messages(count, run):
    """The known senders of ``first_contact_messages(count, run)`` again."""
    known = sum(1 for index in range(count) if KINDS[index % len(KINDS)] == "known")
    return [
        mail(count + number, "returning", run,
             f"Customer {number} <{customer_address(run, number)}>")
        for number in range(known)
    ]


def prepare(registry, runs):
    """The same database before every run: a support team with members,
    the contacts of the runs ``runs``, and nothing left from earlier runs."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
        # Contacts writing hundreds of mails within minutes would trip Odoo's
        # loop detection (20 mails per sender per 2 hours) in both databases
        # alike; real traffic does not, so it is lifted here.
        env["ir.config_parameter"].set_param("mail.gateway.loop.threshold", 10**6)
        tickets = env["helpdesk.ticket"].search([("partner_email", "like", f"%@{BENCH_DOMAIN}")])
        tickets |= env["helpdesk.ticket"].search([("name", "like", "Request % (%)")])
        tickets.unlink()
        if "autoreg.inbound" in env:
            env["autoreg.inbound"].search([("idempotency_key", "like", "<bench-%")]).unlink()
            env["autoreg.duplicate"].search([]).unlink()
        env["res.partner"].search([
            "|", ("email", "like", f"%@{BENCH_DOMAIN}"), ("email", "like", "%@elsewhere.example"),
        ]).unlink()
        users = env["res.users"].search([("login", "like", "bench-member-%")])
        if len(users) < MEMBERS:
            groups = env.ref("helpdesk_mgmt.group_helpdesk_user")
            users |= env["res.users"].create([
                {"name": f"Bench Member {index}", "login": f"bench-member-{index}",
                 "groups_id": [(6, 0, groups.ids)]}
                for index in range(len(users), MEMBERS)
            ])
        team = env["helpdesk.ticket.team"].search([("name", "=", "Bench Support")])
        if not team:
            team = team.create({"name": "Bench Support"})
        team.user_ids = users
        if "autoreg_dispatcher_id" in team._fields:
            team.autoreg_dispatcher_id = users[:1]
        # All mail to support@ falls back to helpdesk.ticket: stock leaves
        # the team empty, client_autoreg picks the email channel's team.
        channel = env.ref("helpdesk_mgmt.helpdesk_ticket_channel_email")
        if "autoreg_team_id" in channel._fields:
            channel.autoreg_team_id = team
        env["res.partner"].create([
            {"name": f"Customer {number}", "email": customer_address(run, number)}
            for count, run in runs
            for number in range(len(returning_messages(count, run)))
        ])


def process_all(registry, messages, bypass=False):
    queries, started = [], time.perf_counter()
    context = {"fetchmail_cron_running": True, "autoreg_intake_off": bypass}
    for _kind, raw in messages:
        for attempt in range(5):
            try:
                with registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, context)
                    before = cr.sql_log_count
                    env["mail.thread"].message_process("helpdesk.ticket", raw)
                    cr.flush()
                    count = cr.sql_log_count - before
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                # as fetchmail's job would: the whole transaction again
                if attempt == 4:
                    raise
                continue
            queries.append(count)
            break
    elapsed = time.perf_counter() - started
    return elapsed, queries


def peak_memory(registry, messages, bypass=False):
    tracemalloc.start()
    process_all(registry, messages, bypass)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def outcome(registry, run, bypass):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        tickets = env["helpdesk.ticket"].search_count(
            [("message_ids.message_id", "like", f"bench-{run}-")]
        )
        assigned = env["helpdesk.ticket"].search_count(
            [("message_ids.message_id", "like", f"bench-{run}-"), ("user_id", "!=", False)]
        )
        states = {}
        if "autoreg.inbound" in env and not bypass:
            for (state, count) in env["autoreg.inbound"]._read_group(
                [("idempotency_key", "like", f"<bench-{run}-")], ["state"], ["__count"]
            ):
                states[state] = count
    return tickets, assigned, states


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stock-db", required=True)
    parser.add_argument("--autoreg-db", required=True)
    parser.add_argument("--messages", type=int, default=1000,
                        help="first-contact mails; their known senders then write again")
    parser.add_argument("--memory-messages", type=int, default=200)
    parser.add_argument("-c", "--config", required=True)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])

    variants = (
        ("stock", args.stock_db, False),
        # Same database as autoreg, intake switched off: the modules that
        # client_autoreg depends on (website, mass_mailing, sms...) are there.
        ("same-db", args.autoreg_db, True),
        ("autoreg", args.autoreg_db, False),
    )
    rows = []
    for label, db, bypass in variants:
        run = uuid.uuid4().hex[:8]
        rows.append({"label": label, "registry": Registry(db), "bypass": bypass, "run": run,
                     "first": first_contact_messages(args.messages, run),
                     "returning": returning_messages(args.messages, run)})
    for db in {db for _label, db, _bypass in variants}:
        mine = [row for row in rows if row["registry"].db_name == db]
        prepare(mine[0]["registry"], [
            (count, f"{prefix}{row['run']}") for row in mine
            for count, prefix in ((20, "warm"), (args.messages, ""),
                                  (args.memory_messages, "mem"))
        ])
    for row in rows:  # first-use costs (caches, the code paths' first run)
        process_all(row["registry"], first_contact_messages(20, f"warm{row['run']}"),
                    row["bypass"])
        process_all(row["registry"], returning_messages(20, f"warm{row['run']}"),
                    row["bypass"])
    # The variants take turns, CHUNK mails each: a machine whose load
    # changes during the run (other jobs) weighs on all of them alike.
    for path in ("first", "returning"):
        for row in rows:
            row[f"{path}_time"], row[f"{path}_queries"] = 0.0, []
        for start in range(0, len(rows[0][path]), CHUNK):
            for row in rows:
                elapsed, queries = process_all(
                    row["registry"], row[path][start:start + CHUNK], row["bypass"])
                row[f"{path}_time"] += elapsed
                row[f"{path}_queries"] += queries
    for row in rows:
        row["kinds"] = [kind for kind, _raw in row["first"] + row["returning"]]
        row["peak"] = peak_memory(
            row["registry"],
            first_contact_messages(args.memory_messages, f"mem{row['run']}"), row["bypass"])
        row["outcome"] = outcome(row["registry"], row["run"], row["bypass"])
        for path in ("first", "returning"):
            row[path] = (len(row[path]), row.pop(f"{path}_time"), row.pop(f"{path}_queries"))
    returning = rows[0]["returning"]

    print(f"\nEmail intake: {args.messages} first-contact mails (50% contacts without a "
          f"request, 30% unknown, 20% spam), then the contacts' second mail "
          f"({returning[0]}, their first request open); the variants take turns, "
          f"{CHUNK} mails each")
    print(f"{'':8} {'path':10} {'msg/s':>8} {'ms/msg':>8} {'SQL p50':>8} {'SQL mean':>9}")
    for row in rows:
        for path in ("first", "returning"):
            count, elapsed, queries = row[path]
            print(f"{row['label']:8} {path:10} {count / elapsed:8.1f} "
                  f"{1000 * elapsed / count:8.2f} {statistics.median(queries):8.0f} "
                  f"{statistics.mean(queries):9.1f}")
    print("\nSQL queries per message by kind (mean):")
    for row in rows:
        by_kind = {}
        for kind, count in zip(row["kinds"], row["first"][2] + row["returning"][2], strict=True):
            by_kind.setdefault(kind, []).append(count)
        print(f"  {row['label']:8} " + ", ".join(
            f"{kind} {statistics.mean(counts):.1f}" for kind, counts in sorted(by_kind.items())
        ))
    print("\nOutcome (tickets, assigned, inbound states) and peak memory:")
    for row in rows:
        tickets, assigned, states = row["outcome"]
        print(f"  {row['label']:8} tickets {tickets}, assigned {assigned}; "
              + (", ".join(f"{k} {v}" for k, v in sorted(states.items())) or "-")
              + f"; peak {row['peak'] / 2**20:.1f} MiB")

    def total(row):
        count = row["first"][0] + row["returning"][0]
        return ((row["first"][1] + row["returning"][1]) / count,
                statistics.mean(row["first"][2] + row["returning"][2]))

    stock, same_db, ours = rows
    for label, base in (("stock", stock), ("same-db", same_db)):
        print(f"\ncost per message, autoreg / {label}: "
              f"time {total(ours)[0] / total(base)[0]:.2f}x, "
              f"SQL {total(ours)[1] / total(base)[1]:.2f}x, "
              f"peak memory {ours['peak'] / base['peak']:.2f}x")
    # One line per compared figure, for scripts: client_autoreg / stock peer.
    print()
    for path in ("first", "returning"):
        name = {"first": "first-contact", "returning": "returning"}[path]
        ours_path, stock_path = ours[path], stock[path]
        print(f"ratio mail {name} time "
              f"{(ours_path[1] / ours_path[0]) / (stock_path[1] / stock_path[0]):.2f}")
        print(f"ratio mail {name} sql "
              f"{statistics.mean(ours_path[2]) / statistics.mean(stock_path[2]):.2f}")
    print(f"ratio mail time {total(ours)[0] / total(stock)[0]:.2f}")
    print(f"ratio mail sql {total(ours)[1] / total(stock)[1]:.2f}")
    print(f"ratio mail memory {ours['peak'] / stock['peak']:.2f}")


if __name__ == "__main__":
    main()
