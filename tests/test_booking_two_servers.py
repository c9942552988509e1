"""Two visitors post the same free time at once, each to another Odoo server
on the same database: one gets the appointment, the other is told it was
just taken, and the database holds one booking (the guarantee is
PostgreSQL's exclusion constraint, whatever the server)."""

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xmlrpc.client

import pytest
from odoo_process import start_odoo, stop_odoo

SERVICE = "New installation"  # demo data
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token" value="([0-9a-f]{32})"')
STARTS = re.compile(r'name="start"[^>]*value="([0-9T:-]{16})"')


@pytest.fixture
def two_servers(odoo_settings):
    servers = [
        start_odoo(odoo_settings["python"], odoo_settings["src"], odoo_settings["config"],
                   odoo_settings["db"], odoo_settings["artifacts"] / f"odoo-booking-{name}.log")
        for name in ("a", "b")
    ]
    try:
        yield [url for _process, url in servers]
    finally:
        for process, _url in servers:
            stop_odoo(process)


def rpc(url, db, model, method, *args, **kwargs):
    proxy = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        db, "admin", "admin", {})
    return proxy.execute_kw(db, uid, "admin", model, method, list(args), kwargs)


class Visitor:
    """A browser: its own cookies (session), on one server."""

    def __init__(self, url):
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(f"{self.url}{path}", timeout=60) as response:
            return response.read().decode()

    def post(self, path, data):
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(f"{self.url}{path}", data=body, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture
def one_member_service(two_servers, odoo_settings):
    """The demo service, delivered by one member (the administrator, on the
    company's working hours) for the time of the test."""
    db = odoo_settings["db"]
    [service] = rpc(two_servers[0], db, "autoreg.web.service", "search_read",
                    [("name", "=", SERVICE)], fields=["id", "member_ids"])
    rpc(two_servers[0], db, "autoreg.web.service", "write", [service["id"]],
        {"member_ids": [(6, 0, [2])]})
    try:
        yield service
    finally:
        rpc(two_servers[0], db, "autoreg.web.service", "write", [service["id"]],
            {"member_ids": [(6, 0, service["member_ids"])]})


def test_same_last_time_posted_to_two_servers_is_booked_once(
    two_servers, odoo_settings, one_member_service
):
    db = odoo_settings["db"]
    service = one_member_service
    rpc(two_servers[0], db, "ir.config_parameter", "set_param",
        "client_autoreg.web_rate_limit", "1000")
    visitors = [Visitor(url) for url in two_servers]
    forms = []
    for visitor in visitors:
        page = visitor.get(f"/customer/appointment?service_id={service['id']}")
        forms.append({"csrf_token": CSRF.search(page).group(1),
                      "submission_token": SUBMISSION.search(page).group(1),
                      "start": STARTS.findall(page)[0]})
    assert forms[0]["start"] == forms[1]["start"], "both see the same first free time"
    start = forms[0]["start"]
    run = int(time.time())
    barrier = threading.Barrier(2, timeout=60)
    answers = [None, None]

    def post(number):
        data = {**forms[number], "name": f"Racer {number}",
                "email": f"racer{number}.{run}@example.es", "service_id": str(service["id"]),
                "member_id": "any"}
        barrier.wait()
        answers[number] = visitors[number].post("/customer/appointment", data)

    threads = [threading.Thread(target=post, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)

    booked = [answer for answer in answers if answer[0] == 200 and "Your appointment:" in answer[1]]
    refused = [answer for answer in answers if answer[0] in (409, 422)]
    assert len(booked) == 1 and len(refused) == 1, [answer[0] for answer in answers]
    assert "This time was just taken" in refused[0][1]
    bookings = rpc(two_servers[1], db, "autoreg.booking", "search_read",
                   [("service_id", "=", service["id"]), ("state", "=", "booked"),
                    ("partner_id.email", "in", [f"racer0.{run}@example.es",
                                                f"racer1.{run}@example.es"])],
                   fields=["start", "ticket_id", "calendar_event_id"])
    assert len(bookings) == 1
    assert bookings[0]["start"].replace(" ", "T")[:16] == start
    assert bookings[0]["ticket_id"] and bookings[0]["calendar_event_id"]
    # the loser has no request and no event
    tickets = rpc(two_servers[1], db, "helpdesk.ticket", "search_count",
                  [("partner_id.email", "in", [f"racer0.{run}@example.es",
                                               f"racer1.{run}@example.es"])])
    assert tickets == 1
