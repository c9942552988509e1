"""Where the queries of one mail go: a profile of the mail gateway.

Processes ``--warm`` mails, then ``--mails`` mails of one kind (``known``:
a contact without a request; ``returning``: the same contacts again, their
first request open and owned), each in its own transaction as fetchmail
does, and charges every SQL query to the chain of steps (``STEPS``) found
on its call stack below the gateway (``message_process``). Prints the queries
per mail by step, then the functions that spent the most time (cProfile,
cumulative) in the same mails. Run it with ``scripts/bench.sh profile
[--kind returning] [--intake-off] [--show STEP]``.

With ``--intake-off``, the same mails go through Odoo's gateway with intake
switched off (context ``autoreg_intake_off``), for comparison.
"""

import argparse
import collections
import cProfile
import pstats
import sys
import traceback
import uuid
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.sql_db import Cursor

sys.path.insert(0, str(Path(__file__).resolve().parent))
from email_intake import customer_address, mail, prepare  # noqa: E402

# Steps: each query is charged to the chain of these functions found on
# its stack below the gateway (``message_process``), outermost first.
STEPS = {
    "message_parse": "parse",
    "message_route": "route",
    "_store": "store raw",
    "_process": "intake",
    "_autoreg_assign": "assign",
    "_pick_assignee": "policy",
    "_message_auto_subscribe_notify": "assigned mail",
    "_autoreg_notify_assignee": "activity+pop-up",
    "message_new": "ticket create",
    "message_post": "message_post",
    "message_notify": "message_notify",
    "_message_log": "message_log",
    "_track_finalize": "tracking",
    "_message_create": "message create",
    "_notify_thread": "notify",
    "write": "write",
    "create": "create",
    "flush_all": "flush",
    "precommit": "precommit",
}


def step_of(stack):
    names = [frame.name for frame in stack]
    start = names.index("message_process") if "message_process" in names else 0
    chain = []
    for frame in stack[start + 1:]:
        label = STEPS.get(frame.name)
        if label and label not in chain:
            chain.append(label)
    return " > ".join(chain) or "commit"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--mails", type=int, default=20)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--kind", choices=("known", "returning"), default="known")
    parser.add_argument("--intake-off", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--show", action="append", default=[],
                        help="print the queries of this step (chain), once per mail")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = Registry(args.db)
    run = uuid.uuid4().hex[:8]
    contacts = args.warm + args.mails
    prepare(registry, [(contacts * 2, run)])  # creates contacts 0..contacts-1

    def message(number, index):
        return mail(index, "known", run, f"Customer {number} <{customer_address(run, number)}>")

    counted = {"on": False}
    charged = collections.Counter()
    shown = collections.defaultdict(collections.Counter)
    original_execute = Cursor.execute

    def execute(self, query, params=None, log_exceptions=True):
        if counted["on"]:
            step = step_of(traceback.extract_stack()[:-1])
            charged[step] += 1
            if step in args.show:
                shown[step][" ".join(str(query).split())[:160]] += 1
        return original_execute(self, query, params, log_exceptions)

    context = {"fetchmail_cron_running": True, "autoreg_intake_off": args.intake_off}

    def process(raw, profiler=None):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, context)
            if profiler:
                profiler.enable()
            env["mail.thread"].message_process("helpdesk.ticket", raw)
            cr.flush()
            cr.commit()
            if profiler:
                profiler.disable()

    index = 0
    if args.kind == "returning":  # their first request, open and owned
        for number in range(contacts):
            process(message(number, index)[1])
            index += 1
    for number in range(args.warm):
        process(message(number, index)[1])
        index += 1
    Cursor.execute = execute
    counted["on"] = True
    try:
        for number in range(args.warm, contacts):
            process(message(number, index)[1])
            index += 1
    finally:
        counted["on"] = False
        Cursor.execute = original_execute
    profiler = cProfile.Profile()
    for number in range(args.warm, contacts):
        process(message(number, index)[1], profiler)
        index += 1

    total = sum(charged.values())
    print(f"{args.kind} sender, intake {'off' if args.intake_off else 'on'}: "
          f"{total / args.mails:.1f} queries per mail ({args.mails} mails)")
    for step, count in charged.most_common():
        print(f"  {count / args.mails:6.1f}  {step}")
    for step, queries in shown.items():
        print(f"\n{step}:")
        for query, count in queries.most_common():
            print(f"  {count / args.mails:4.1f}  {query}")
    print(f"\nTime, {args.mails} mails (cProfile, cumulative):")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
