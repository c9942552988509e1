"""Website forms under load: many visitors sending requests at once.

Starts Odoo (odoo-bin, prefork workers) on a loopback port. Concurrent
clients each open the request form (GET: CSRF and submission tokens), then
post it as a browser does (multipart). A share of the posts is sent twice
with the same submission token (double click), a share is invalid (no name).
Prints p50 / p95 latency of the posts and the throughput, then checks that
the contacts and requests created equal the distinct valid submissions.
Run it with scripts/bench.sh web.
"""

import argparse
import random
import re
import sys
import threading
import time
import uuid
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import HTTPCookieProcessor, Request, build_opener

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from odoo_server import (  # noqa: E402
    percentiles,
    run_clients,
    run_intake_job,
    start_odoo,
    stop_odoo,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token" value="([0-9a-f]{32})"')


def prepare(registry, visitors):
    """Lift the per-address rate limit: every visitor here is 127.0.0.1."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("client_autoreg.web_rate_limit", visitors * 10)
        web = env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web")
        if not web.autoreg_team_id:
            web.autoreg_team_id = env["helpdesk.ticket.team"].search([], limit=1) or env[
                "helpdesk.ticket.team"].create({"name": "Bench team"})


def visit(base, run, number, duplicate, invalid):
    """One visitor: open the form, post it (twice on a double click).

    :return: list of ``(seconds, status)`` of the posts
    """
    opener = build_opener(HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base}/customer/request", timeout=60).read().decode()
    fields = {
        "csrf_token": CSRF.search(page).group(1),
        "submission_token": SUBMISSION.search(page).group(1),
        "name": "" if invalid else f"Visitor {number}",
        "email": f"visitor{number}.{run}@load.example",
        "subject": f"Load request {number}",
        "description": "Sent by the load script.",
    }
    boundary = uuid.uuid4().hex
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in fields.items()
    ) + f"--{boundary}--\r\n"
    results = []
    for _post in range(2 if duplicate else 1):
        started = time.perf_counter()
        try:
            with opener.open(
                _request(f"{base}/customer/request", body.encode(),
                         f"multipart/form-data; boundary={boundary}"), timeout=60
            ) as answer:
                status = answer.status
        except HTTPError as error:
            status = error.code
        results.append((time.perf_counter() - started, status))
    return results


def _request(url, data, content_type):
    return Request(url, data=data, headers={"Content-Type": content_type})


def run_load(port, run, visitors, clients, duplicates, invalid_share):
    rng = random.Random(7)
    plan = [(number, rng.random() < duplicates, rng.random() < invalid_share)
            for number in range(visitors)]
    base = f"http://127.0.0.1:{port}"
    results, lock, cursor = [], threading.Lock(), iter(plan)

    def client():
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            outcome = visit(base, run, *item)
            with lock:
                results.extend(outcome)

    return run_clients(client, clients), results, plan


def count_created(registry, run):
    with registry.cursor() as cr:
        cr.execute("SELECT COUNT(*) FROM res_partner WHERE email LIKE %s",
                   (f"%.{run}@load.example",))
        contacts = cr.fetchone()[0]
        cr.execute("""SELECT COUNT(*) FROM helpdesk_ticket ticket
                        JOIN res_partner partner ON partner.id = ticket.partner_id
                       WHERE partner.email LIKE %s""", (f"%.{run}@load.example",))
        requests = cr.fetchone()[0]
    return contacts, requests


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duplicates", type=float, default=0.1)
    parser.add_argument("--invalid", type=float, default=0.1)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    registry = Registry(args.db)
    prepare(registry, args.visitors)
    run = int(time.time())
    server, port = start_odoo(args.odoo_src, args.config, args.db, args.workers,
                              "bench-web-odoo.log")
    try:
        elapsed, results, plan = run_load(port, run, args.visitors, args.clients,
                                          args.duplicates, args.invalid)
    finally:
        stop_odoo(server)
    latencies = [seconds for seconds, _status in results]
    statuses = {}
    for _seconds, status in results:
        statuses[status] = statuses.get(status, 0) + 1
    p50, p95 = percentiles(latencies)
    valid = sum(1 for _number, _duplicate, invalid in plan if not invalid)
    left_over, _seconds = run_intake_job(registry)
    contacts, requests = count_created(registry, run)
    print(f"Website request form: {len(results):,} posts by {args.visitors:,} visitors "
          f"from {args.clients} clients, {args.workers} Odoo workers "
          f"({args.duplicates:.0%} double clicks, {args.invalid:.0%} invalid)")
    print(f"  throughput {len(results) / elapsed:7.1f} posts/s   p50 {p50:6.1f} ms   "
          f"p95 {p95:6.1f} ms   statuses {dict(sorted(statuses.items()))}")
    print(f"Created {contacts:,} contacts and {requests:,} requests for {valid:,} distinct "
          f"valid submissions ({left_over} posts were left to the intake job)")
    ok = contacts == requests == valid
    print("CHECK", "OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
