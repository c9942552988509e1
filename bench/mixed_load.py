"""Mixed load: mail, Telegram and the website at once, for minutes.

Starts Odoo (odoo-bin, prefork HTTP workers and a cron worker, as in
production) on a loopback port and a Bot API server on loopback, then runs
three kinds of clients at the same time until ``--minutes`` have passed:

- mail: the mail gateway by XML-RPC ``message_process``, as Odoo's mailgate
  script delivers it: known customers, unknown senders, spam (X-Spam-Flag),
  auto-replies (Auto-Submitted); a share delivered twice (a mail server
  retrying);
- Telegram: customers posting to the bot's webhook: /start, their contact
  card, then messages; a share posted twice (Telegram retrying); the intake
  job (the cron worker) processes them;
- web: visitors opening the request form and posting it; a share posted
  twice with the same submission token (double click).

Prints, per channel, the throughput and p50 / p95 / p99 latency of what the
clients sent, then reads the database: each inbound of the run by state,
and the accounting line

    stored = registered + review + spam + ignored + error   duplicates 0 lost 0

where *lost* counts the distinct messages Odoo accepted (HTTP 200, or the
gateway's answer) that are not stored, and *duplicates* the stored records
or contacts beyond one per distinct message or customer. Run it with
``scripts/bench.sh mixed [--minutes N]``.
"""

import argparse
import json
import os
import random
import re
import sys
import threading
import time
import uuid
import xmlrpc.client
from collections import defaultdict
from http.client import HTTPConnection
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import HTTPCookieProcessor, Request, build_opener

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_server import (  # noqa: E402
    load_bot_api_server,
    odoo_process,
    run_intake_job,
    stop_odoo,
)

ROOT = Path(__file__).resolve().parent.parent
_bot_api_server = load_bot_api_server()
BotApiServer, UpdateFactory = _bot_api_server.BotApiServer, _bot_api_server.UpdateFactory

TOKEN = "7000043:mixed-load-token"
KNOWN = 100
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token" value="([0-9a-f]{32})"')
ACCOUNTED = ("done", "review", "spam", "ignored", "error")
LABELS = {"done": "registered"}


class Recorder:
    """What the clients sent: latencies and statuses per channel, and the
    distinct keys Odoo accepted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.statuses = defaultdict(lambda: defaultdict(int))
        self.accepted = defaultdict(set)

    def record(self, channel, seconds, status, key=None):
        with self.lock:
            self.latencies[channel].append(seconds)
            self.statuses[channel][status] += 1
            if status == 200 and key:
                self.accepted[channel].add(key)


def percentile(ordered, share):
    return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def prepare(registry, api_url, run):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        params = env["ir.config_parameter"]
        params.set_param("client_autoreg.web_rate_limit", 10**7)
        # Thousands of mails per customer within minutes would trip Odoo's
        # loop detection; real traffic does not (see bench/email_intake.py).
        params.set_param("mail.gateway.loop.threshold", 10**6)
        team = env["helpdesk.ticket.team"].search([], limit=1) or env[
            "helpdesk.ticket.team"].create({"name": "Bench team"})
        if not team.user_ids:
            team.user_ids = env["res.users"].create(
                [{"name": f"Mixed agent {n}", "login": f"mixed-{n}-{run}"} for n in range(3)])
        web = env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web")
        if not web.autoreg_team_id:
            web.autoreg_team_id = team
        partners = env["res.partner"]
        known = set(partners.search([("email", "=like", "mixed-customer%@load.example")])
                    .mapped("email"))
        partners.create([{"name": f"Mixed customer {n}",
                          "email": f"mixed-customer{n}@load.example"}
                         for n in range(KNOWN) if f"mixed-customer{n}@load.example" not in known])
        bot = env["autoreg.telegram.bot"].create(
            {"name": f"Mixed load {run}", "token": TOKEN, "api_url": api_url,
             "team_id": team.id})
        return bot.id, bot.webhook_secret


# ----------------------------------------------------------------------
# The three kinds of clients
# ----------------------------------------------------------------------

def mail_client(base, db, run, recorder, until, rng, counter, think, replays):
    proxy = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/object", allow_none=True)
    while time.monotonic() < until:
        number = next(counter)
        kind = ("known",) * 6 + ("unknown",) * 2 + ("spam", "auto")
        kind = kind[number % 10]
        sender = (f"mixed-customer{number % KNOWN}@load.example" if kind != "unknown"
                  else f"stranger{number}.{run}@elsewhere.example")
        message_id = f"<mixed-{run}-{number}@load.example>"
        headers = [f"From: {sender}", "To: support@load.example",
                   f"Subject: Mixed mail {number} ({kind})", f"Message-Id: {message_id}"]
        if kind == "spam":
            headers.append("X-Spam-Flag: YES")
        if kind == "auto":
            headers.append("Auto-Submitted: auto-replied")
        raw = "\r\n".join([*headers, "", f"Mail {number} of the mixed load.", ""])
        for _delivery in range(2 if rng.random() < replays else 1):
            started = time.perf_counter()
            try:
                proxy.execute_kw(db, 2, "admin", "mail.thread", "message_process",
                                 ["helpdesk.ticket", raw], {})
                status = 200
            except xmlrpc.client.Fault:
                status = "fault"
            except OSError as error:
                status = type(error).__name__
            recorder.record("mail", time.perf_counter() - started, status, message_id)
        time.sleep(think)


def telegram_client(base, bot_id, secret, run, recorder, until, rng, counter, think,
                    replays, messages):
    port = int(base.rsplit(":", 1)[1])
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
    path = f"/customer/telegram/{bot_id}/webhook"
    while time.monotonic() < until:
        number = next(counter)
        updates = UpdateFactory(first_update_id=(run % 10**6) * 10**5 + number * 100)
        user = {"id": 9_000_000_000 + (run % 10**5) * 10**4 + number,
                "first_name": f"Mixed{number}", "language_code": ("en", "hi", "es")[number % 3]}
        stream = [updates.text(user, "/start"),
                  updates.contact(user, f"+91 8{run % 100:02d}{number:07d}")]
        stream += [updates.text(user, f"Message {index} of customer {number}")
                   for index in range(messages)]
        for update in stream:
            body = json.dumps(update)
            for _delivery in range(2 if rng.random() < replays else 1):
                started = time.perf_counter()
                try:
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except OSError as error:
                    status = type(error).__name__
                    connection.close()
                    connection = HTTPConnection("127.0.0.1", port, timeout=60)
                recorder.record("telegram", time.perf_counter() - started, status,
                                f"{bot_id}:{update['update_id']}")
            time.sleep(think)
    connection.close()


def web_client(base, run, recorder, until, rng, counter, think, replays):
    while time.monotonic() < until:
        number = next(counter)
        opener = build_opener(HTTPCookieProcessor(CookieJar()))
        started = time.perf_counter()
        try:
            page = opener.open(f"{base}/customer/request", timeout=60).read().decode()
        except (HTTPError, URLError, OSError) as error:
            recorder.record("web form page", time.perf_counter() - started,
                            getattr(error, "code", type(error).__name__))
            continue
        recorder.record("web form page", time.perf_counter() - started, 200)
        token = SUBMISSION.search(page).group(1)
        fields = {"csrf_token": CSRF.search(page).group(1), "submission_token": token,
                  "name": f"Visitor {number}", "email": f"visitor{number}.{run}@load.example",
                  "subject": f"Mixed web request {number}",
                  "description": "Sent by the mixed load."}
        boundary = uuid.uuid4().hex
        body = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            for key, value in fields.items()) + f"--{boundary}--\r\n"
        for _click in range(2 if rng.random() < replays else 1):
            started = time.perf_counter()
            request = Request(f"{base}/customer/request", data=body.encode(), headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}"})
            try:
                with opener.open(request, timeout=60) as answer:
                    answer.read()
                    status = answer.status
            except HTTPError as error:
                status = error.code
            except (URLError, OSError) as error:
                status = type(error).__name__
            recorder.record("web", time.perf_counter() - started, status, f"web:{token}")
        time.sleep(think)


def _counter():
    lock, state = threading.Lock(), {"next": 0}

    class Counter:
        def __next__(self):
            with lock:
                state["next"] += 1
                return state["next"]

        def __iter__(self):
            return self
    return Counter()


# ----------------------------------------------------------------------
# Accounting, read from the database
# ----------------------------------------------------------------------

def account(registry, run, bot_id, recorder):
    """Per channel: stored records by state, lost and duplicate counts."""
    selectors = {
        "mail": ("door = 'mail' AND idempotency_key LIKE %s", f"<mixed-{run}-%"),
        "telegram": ("telegram_bot_id = %s", bot_id),
        "web": ("door = 'website' AND sender_email LIKE %s", f"%.{run}@load.example"),
    }
    figures = {}
    with registry.cursor() as cr:
        for channel, (where, param) in selectors.items():
            cr.execute(f"SELECT idempotency_key, state FROM autoreg_inbound WHERE {where}",
                       (param,))
            rows = cr.fetchall()
            keys = [key for key, _state in rows]
            states = defaultdict(int)
            for _key, state in rows:
                states[state] += 1
            lost = len(recorder.accepted[channel] - set(keys))
            duplicates = len(keys) - len(set(keys)) + len(set(keys) - recorder.accepted[channel])
            figures[channel] = {"stored": len(rows), "states": states, "lost": lost,
                                "duplicates": duplicates}
        # one contact per Telegram customer and per web visitor
        cr.execute("""SELECT COUNT(*) - COUNT(DISTINCT telegram_user_id)
                        FROM autoreg_telegram_chat WHERE bot_id = %s""", (bot_id,))
        figures["telegram"]["duplicates"] += cr.fetchone()[0]
        cr.execute("""SELECT COUNT(*) - COUNT(DISTINCT email) FROM res_partner
                       WHERE email LIKE %s""", (f"%.{run}@load.example",))
        figures["web"]["duplicates"] += cr.fetchone()[0]
    return figures


def accounting_line(stored, states, duplicates, lost):
    terms = [f"{LABELS.get(state, state)} {states.get(state, 0):,}" for state in ACCOUNTED]
    terms += [f"{LABELS.get(state, state)} {count:,}" for state, count in sorted(states.items())
              if state not in ACCOUNTED and count]
    return (f"stored {stored:,} = " + " + ".join(terms)
            + f"   duplicates {duplicates} lost {lost}")


# ----------------------------------------------------------------------
# Intake job throughput with one server and with two
# ----------------------------------------------------------------------

def drain_backlog(registry, args):
    """Store ``--drain`` Telegram updates while no server runs, start
    ``--servers`` servers (each with a cron worker) and time the intake job
    working the backlog off. The job takes at most 200 messages per run and
    does not ask Odoo to run again: as live traffic would, the script wakes
    the job whenever it stops while messages wait."""
    os.environ["ODOO_NOTIFY_CRON_CHANGES"] = "1"  # a nextcall write wakes the cron workers
    run = int(time.time())
    with BotApiServer(TOKEN) as bot_api:
        bot_id, _secret = prepare(registry, bot_api.url, run)
        updates = UpdateFactory(first_update_id=(run % 10**6) * 10**5)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            bot = env["autoreg.telegram.bot"].browse(bot_id)
            for number in range(args.drain // 3):
                user = {"id": 9_500_000_000 + (run % 10**5) * 10**4 + number,
                        "first_name": f"Drain{number}", "language_code": "en"}
                for update in (updates.text(user, "/start"),
                               updates.contact(user, f"+91 7{run % 100:02d}{number:07d}"),
                               updates.text(user, f"Backlog message of {number}")):
                    bot._receive_update(json.dumps(update))
            job = env.ref("client_autoreg.ir_cron_autoreg_process_received")
            job_id = job.id
        servers = []
        try:
            for index in range(args.servers):
                servers.append(odoo_process.start_odoo(
                    sys.executable, args.odoo_src, args.config, args.db,
                    ROOT / "test-artifacts" / f"bench-drain-odoo-{index}.log",
                    workers=args.workers, extra=("--max-cron-threads=1",))[0])
            started, wakes, last = time.perf_counter(), 0, None
            while True:
                with registry.cursor() as cr:
                    cr.execute("SELECT COUNT(*) FROM autoreg_inbound WHERE state = 'received' "
                               "AND telegram_bot_id = %s", (bot_id,))
                    waiting = cr.fetchone()[0]
                    if not waiting:
                        break
                    cr.execute("SELECT 1 FROM ir_cron WHERE id = %s FOR UPDATE SKIP LOCKED",
                               (job_id,))
                    idle = bool(cr.fetchall())
                    if idle and waiting == last:  # the job stopped with work left
                        env = api.Environment(cr, SUPERUSER_ID, {})
                        env["ir.cron"].browse(job_id).write({"nextcall": fields.Datetime.now()})
                        wakes += 1
                    last = waiting
                time.sleep(1)
            elapsed = time.perf_counter() - started
        finally:
            for server in servers:
                stop_odoo(server)
    print(f"Intake job, {args.servers} server(s) with {args.workers} workers and a cron "
          f"worker each: {args.drain // 3 * 3:,} stored updates processed in {elapsed:.1f} s "
          f"({args.drain // 3 * 3 / elapsed:.1f} updates/s; job woken {wakes} times)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mail-clients", type=int, default=2)
    parser.add_argument("--telegram-clients", type=int, default=3)
    parser.add_argument("--web-clients", type=int, default=2)
    parser.add_argument("--messages", type=int, default=3,
                        help="Telegram messages per customer, after the phone number")
    parser.add_argument("--replays", type=float, default=0.05,
                        help="share of mails, updates and posts sent twice")
    parser.add_argument("--think", type=float, default=0.05,
                        help="seconds each client waits between two messages")
    parser.add_argument("--drain", type=int, default=0,
                        help="instead of the mixed load: time the intake job working off "
                        "this many stored Telegram updates")
    parser.add_argument("--servers", type=int, default=1, help="with --drain")
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = Registry(args.db)
    if args.drain:
        drain_backlog(registry, args)
        return
    run = int(time.time())
    recorder = Recorder()

    with BotApiServer(TOKEN) as bot_api:
        bot_id, secret = prepare(registry, bot_api.url, run)
        server, base = odoo_process.start_odoo(
            sys.executable, args.odoo_src, args.config, args.db,
            ROOT / "test-artifacts" / "bench-mixed-odoo.log", workers=args.workers,
            extra=("--max-cron-threads=1", "--limit-time-real=600"))
        try:
            until = time.monotonic() + 60 * args.minutes
            rng = random.Random(run)
            counters = {name: _counter() for name in ("mail", "telegram", "web")}
            threads = [threading.Thread(target=mail_client, args=(
                base, args.db, run, recorder, until, random.Random(rng.random()),
                counters["mail"], args.think, args.replays)) for _ in range(args.mail_clients)]
            threads += [threading.Thread(target=telegram_client, args=(
                base, bot_id, secret, run, recorder, until, random.Random(rng.random()),
                counters["telegram"], args.think, args.replays, args.messages))
                for _ in range(args.telegram_clients)]
            threads += [threading.Thread(target=web_client, args=(
                base, run, recorder, until, random.Random(rng.random()), counters["web"],
                args.think, args.replays)) for _ in range(args.web_clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            # The cron worker works off what the webhook stored.
            drain_started = time.perf_counter()
            with registry.cursor() as cr:
                for _second in range(300):
                    cr.execute("SELECT COUNT(*) FROM autoreg_inbound WHERE state = 'received' "
                               "AND telegram_bot_id = %s", (bot_id,))
                    if not cr.fetchone()[0]:
                        break
                    cr.commit()
                    time.sleep(1)
            drain = time.perf_counter() - drain_started
        finally:
            stop_odoo(server)
        left_over, _seconds = run_intake_job(registry)

    print(f"Mixed load: {elapsed / 60:.1f} min, {args.workers} Odoo HTTP workers + 1 cron "
          f"worker; clients: mail {args.mail_clients}, Telegram {args.telegram_clients}, "
          f"web {args.web_clients}; {args.replays:.0%} sent twice, think {args.think} s")
    for channel in ("mail", "telegram", "web", "web form page"):
        latencies = sorted(recorder.latencies[channel])
        if not latencies:
            continue
        print(f"  {channel:<14} {len(latencies):7,} requests {len(latencies) / elapsed:7.1f}/s"
              f"   p50 {percentile(latencies, 0.5):7.1f} ms   p95 "
              f"{percentile(latencies, 0.95):7.1f} ms   p99 {percentile(latencies, 0.99):7.1f}"
              f" ms   statuses {dict(recorder.statuses[channel])}")
    log = (ROOT / "test-artifacts" / "bench-mixed-odoo.log").read_text(errors="replace")
    failed_runs = log.count("Job 'Customer Intake: process received messages'")
    print(f"  intake job (cron worker): {failed_runs} runs failed and rolled back; after the "
          f"load it was given {drain:.0f} s, then {left_over} Telegram updates still waiting "
          f"were processed by a final run")
    figures = account(registry, run, bot_id, recorder)
    total = {"stored": 0, "states": defaultdict(int), "lost": 0, "duplicates": 0}
    for channel, figure in figures.items():
        print(f"  {channel:<9} " + accounting_line(figure["stored"], figure["states"],
                                                    figure["duplicates"], figure["lost"]))
        total["stored"] += figure["stored"]
        total["lost"] += figure["lost"]
        total["duplicates"] += figure["duplicates"]
        for state, count in figure["states"].items():
            total["states"][state] += count
    print("Accounting: " + accounting_line(total["stored"], total["states"],
                                           total["duplicates"], total["lost"]))
    unfinished = total["states"].get("received", 0)
    ok = not (total["lost"] or total["duplicates"] or unfinished)
    print("CHECK", "OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
