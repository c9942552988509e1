"""Website forms under load: many visitors sending requests at once, and
the stock forms doing the same work, in the same run.

Starts Odoo (odoo-bin, prefork workers) on a loopback port, on the
client_autoreg database (helpdesk_mgmt and website are installed there too).
Concurrent clients each open a form (GET: CSRF and submission tokens), then
post it as a browser does (multipart). Three comparisons, each side on the
same server, one after the other:

- signed-in portal users: client_autoreg's request form (``/customer/request``)
  against helpdesk_mgmt's own portal ticket form (``/new/ticket``, posted to
  ``/submitted/ticket``); both create a ticket for the user's contact;
- anonymous visitors: client_autoreg's request form against Odoo's website
  form (``/website/form/mail.mail``, the "Contact us" page), which stores
  an email for the company;
- a check: anonymous posts with double clicks (same submission token) and
  invalid posts (no name); the contacts and requests created must equal
  the distinct valid submissions.

Each visit ends when the visitor has the answer page, as in a browser: the
page the post answers with (client_autoreg), the page a redirect leads to
(helpdesk_mgmt's post answers with a redirect to the new ticket), or the
thank-you page Odoo's form script opens after its post. Prints, per form,
the throughput of whole visits, p50 / p95 of the post alone and of the
wait until the answer page, then ``ratio web <figure> <value>`` lines:
client_autoreg over the stock peer (``p50``: until the answer page; ``post
p50``: the post alone), and the stock peer's throughput over
client_autoreg's (so that lower is better for all).
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
from urllib.parse import urlencode, urljoin
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

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
CSRF_JS = re.compile(r'csrf_token: "([^"]+)"')
PORTAL_USERS = 16  # one signed-in session per client
SUBMISSION = re.compile(r'name="submission_token" value="([0-9a-f]{32})"')


class NoRedirect(HTTPRedirectHandler):
    """The post is measured, not the page it redirects to."""

    def redirect_request(self, *args, **kwargs):
        return None


def prepare(registry, visitors):
    """Lift the per-address rate limit: every visitor here is 127.0.0.1.
    Portal users for the signed-in comparison (password = login)."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("client_autoreg.web_rate_limit", visitors * 100)
        existing = set(env["res.users"].with_context(active_test=False).search(
            [("login", "like", "bench-portal-%")]).mapped("login"))
        env["res.users"].with_context(no_reset_password=True).create([
            {"name": f"Bench Portal {index}", "login": f"bench-portal-{index}",
             "password": f"bench-portal-{index}", "email": f"portal{index}@load.example",
             "groups_id": [(6, 0, env.ref("base.group_portal").ids)]}
            for index in range(PORTAL_USERS) if f"bench-portal-{index}" not in existing
        ])
        web = env.ref("helpdesk_mgmt.helpdesk_ticket_channel_web")
        if not web.autoreg_team_id:
            web.autoreg_team_id = env["helpdesk.ticket.team"].search([], limit=1) or env[
                "helpdesk.ticket.team"].create({"name": "Bench team"})


def new_opener():
    return build_opener(HTTPCookieProcessor(CookieJar()), NoRedirect())


def sign_in(base, login):
    """A session of the portal user ``login``."""
    opener = new_opener()
    page = opener.open(f"{base}/web/login", timeout=60).read().decode()
    data = urlencode({"login": login, "password": login, "redirect": "/my",
                      "csrf_token": CSRF.search(page).group(1)}).encode()
    try:
        opener.open(_request(f"{base}/web/login", data,
                             "application/x-www-form-urlencoded"), timeout=60)
    except HTTPError as error:
        if error.code != 303:
            raise
    return opener


def _multipart(fields):
    boundary = uuid.uuid4().hex
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in fields.items()
    ) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


def _post(opener, url, fields, then=None):
    """Post ``fields``, then open the answer page: where a redirect leads,
    else ``then`` (the page a form's script opens after its post).

    :return: ``(seconds of the post, status, seconds until the answer page)``
    """
    body, content_type = _multipart(fields)
    started = time.perf_counter()
    location = None
    try:
        with opener.open(_request(url, body, content_type), timeout=60) as answer:
            status = answer.status
            answer.read()
    except HTTPError as error:
        status = error.code
        location = error.headers.get("Location") if 300 <= status < 400 else None
    posted = time.perf_counter() - started
    page = location or (then if status == 200 else None)
    if page:
        with opener.open(urljoin(url, page), timeout=60) as answer:
            answer.read()
    return posted, status, time.perf_counter() - started


def visit_helpdesk_form(base, opener, run, number):
    """helpdesk_mgmt's portal form, by a signed-in portal user."""
    page = opener.open(f"{base}/new/ticket", timeout=60).read().decode()
    return [_post(opener, f"{base}/submitted/ticket", {
        "csrf_token": CSRF.search(page).group(1),
        "subject": f"Load request {number}.{run}",
        "description": "Sent by the load script.",
    })]


def visit_our_form_signed_in(base, opener, run, number):
    """client_autoreg's request form, by a signed-in portal user."""
    page = opener.open(f"{base}/customer/request", timeout=60).read().decode()
    return [_post(opener, f"{base}/customer/request", {
        "csrf_token": CSRF.search(page).group(1),
        "submission_token": SUBMISSION.search(page).group(1),
        "subject": f"Load request {number}.{run}",
        "description": "Sent by the load script.",
    })]


def visit_website_form(base, run, number):
    """Odoo's website form ("Contact us"), by an anonymous visitor."""
    opener = new_opener()
    page = opener.open(f"{base}/contactus", timeout=60).read().decode()
    token = CSRF.search(page) or CSRF_JS.search(page)
    return [_post(opener, f"{base}/website/form/mail.mail", {
        "csrf_token": token.group(1) if token else "",
        "name": f"Visitor {number}",
        "email_from": f"visitor{number}.{run}@load.example",
        # the page's own recipient, signed by the website
        "email_to": _input_value(page, "email_to"),
        "website_form_signature": _input_value(page, "website_form_signature"),
        "subject": f"Load request {number}",
        "description": "Sent by the load script.",
    }, then=_success_page(page))]


def _success_page(page):
    found = re.search(r'<form[^>]*id="contactus_form"[^>]*data-success-page="([^"]+)"', page)
    return found.group(1) if found else "/contactus-thank-you"


def _input_value(page, name):
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    value = tag and re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def visit(base, run, number, duplicate, invalid):
    """One visitor: open the form, post it (twice on a double click).

    :return: list of ``(seconds, status)`` of the posts
    """
    opener = new_opener()
    page = opener.open(f"{base}/customer/request", timeout=60).read().decode()
    fields = {
        "csrf_token": CSRF.search(page).group(1),
        "submission_token": SUBMISSION.search(page).group(1),
        "name": "" if invalid else f"Visitor {number}",
        "email": f"visitor{number}.{run}@load.example",
        "subject": f"Load request {number}",
        "description": "Sent by the load script.",
    }
    return [_post(opener, f"{base}/customer/request", fields)
            for _post_number in range(2 if duplicate else 1)]


def _request(url, data, content_type):
    return Request(url, data=data, headers={"Content-Type": content_type})


def run_load(port, run, visitors, clients, duplicates, invalid_share):
    rng = random.Random(7)
    plan = [(number, rng.random() < duplicates, rng.random() < invalid_share)
            for number in range(visitors)]
    base = f"http://127.0.0.1:{port}"
    elapsed, results = run_visits(clients, plan, lambda item: visit(base, run, *item))
    return elapsed, results, plan


def run_visits(clients, plan, visit_one, sessions=None):
    """Each of ``clients`` threads takes the next item of ``plan`` and runs
    ``visit_one(item)`` (or ``visit_one(session, item)`` with its own
    session from ``sessions``). :return: ``(seconds, [(seconds, status)])``"""
    results, lock, cursor = [], threading.Lock(), iter(plan)
    sessions = list(sessions or [])

    def client():
        with lock:
            session = sessions.pop() if sessions else None
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            outcome = visit_one(session, item) if session else visit_one(item)
            with lock:
                results.extend(outcome)

    return run_clients(client, clients), results


def figures(elapsed, results):
    """``(visits/s, p50 ms, p95 ms, statuses, post p50 ms, post p95 ms)``;
    p50 and p95 until the answer page."""
    statuses = {}
    for _seconds, status, _total in results:
        statuses[status] = statuses.get(status, 0) + 1
    p50, p95 = percentiles([total for _seconds, _status, total in results])
    post_p50, post_p95 = percentiles([seconds for seconds, _status, _total in results])
    return len(results) / elapsed, p50, p95, dict(sorted(statuses.items())), post_p50, post_p95


def compare(port, run, visitors, clients):
    """Each form against its stock peer on the same server. :return: rows
    ``(label, figures)``"""
    base = f"http://127.0.0.1:{port}"
    plan = list(range(visitors))
    sessions = [sign_in(base, f"bench-portal-{index}") for index in range(clients)]
    rows = [
        ("helpdesk_mgmt /new/ticket (signed in)", run_visits(
            clients, plan, lambda opener, number: visit_helpdesk_form(
                base, opener, run, number), sessions)),
        ("client_autoreg /customer/request (signed in)", run_visits(
            clients, plan, lambda opener, number: visit_our_form_signed_in(
                base, opener, run, number), sessions)),
        ("Odoo /website/form/mail.mail (anonymous)", run_visits(
            clients, plan, lambda number: visit_website_form(base, f"w{run}", number))),
        ("client_autoreg /customer/request (anonymous)", run_visits(
            clients, plan, lambda number: visit(base, f"a{run}", number, False, False))),
    ]
    return [(label, figures(*outcome)) for label, outcome in rows]


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
    parser.add_argument("--visitors", type=int, default=1000,
                        help="anonymous visitors of the double-click / invalid check")
    parser.add_argument("--compare-visitors", type=int, default=300,
                        help="valid posts per form in the comparison with the stock forms")
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
        compared = compare(port, run, args.compare_visitors, args.clients)
        elapsed, results, plan = run_load(port, run, args.visitors, args.clients,
                                          args.duplicates, args.invalid)
    finally:
        stop_odoo(server)
    print(f"Forms compared: {args.compare_visitors:,} valid posts per form from "
          f"{args.clients} clients, {args.workers} Odoo workers, same server")
    print(f"  {'':46} {'':14}   {'until the answer page':28}   {'the post alone':28}")
    for label, (throughput, p50, p95, statuses, post_p50, post_p95) in compared:
        print(f"  {label:46} {throughput:5.1f} visits/s   p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
              f"   p50 {post_p50:6.1f} ms  p95 {post_p95:6.1f} ms   statuses {statuses}")
    throughput, p50, p95, statuses, _post_p50, _post_p95 = figures(elapsed, results)
    valid = sum(1 for _number, _duplicate, invalid in plan if not invalid)
    left_over, _seconds = run_intake_job(registry)
    contacts, requests = count_created(registry, run)
    print(f"Website request form: {len(results):,} posts by {args.visitors:,} visitors "
          f"from {args.clients} clients, {args.workers} Odoo workers "
          f"({args.duplicates:.0%} double clicks, {args.invalid:.0%} invalid)")
    print(f"  throughput {throughput:7.1f} posts/s   p50 {p50:6.1f} ms   "
          f"p95 {p95:6.1f} ms   statuses {statuses}")
    print(f"Created {contacts:,} contacts and {requests:,} requests for {valid:,} distinct "
          f"valid submissions ({left_over} posts were left to the intake job)")
    ok = contacts == requests == valid
    print("CHECK", "OK" if ok else "FAILED")
    # One line per compared figure, for scripts: client_autoreg / stock peer
    # (throughput: the peer's over client_autoreg's, lower is better too).
    (_l, helpdesk), (_l, ours_in), (_l, website), (_l, ours_anon) = compared
    print(f"ratio web p50 {ours_in[1] / helpdesk[1]:.2f}")
    print(f"ratio web throughput {helpdesk[0] / ours_in[0]:.2f}")
    print(f"ratio web post p50 {ours_in[4] / helpdesk[4]:.2f}")
    print(f"ratio web anonymous p50 {ours_anon[1] / website[1]:.2f}")
    print(f"ratio web anonymous throughput {website[0] / ours_anon[0]:.2f}")
    print(f"ratio web anonymous post p50 {ours_anon[4] / website[4]:.2f}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
