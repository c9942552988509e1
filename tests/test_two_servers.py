"""Two Odoo servers on one database behind nginx, one killed mid-load.

The deployment docs/DEPLOY.md describes: Debian's nginx runs
deploy/nginx-odoo.conf as is (placeholders filled in) in front of two
``odoo-bin --proxy-mode`` servers. Mail (XML-RPC ``message_process``, as the
mailgate script delivers it), Telegram updates (the webhook) and website
posts (form page, then post) go through nginx from concurrent clients that
retry like Telegram and mail servers do. Server A is killed with SIGKILL
while the load runs. Afterwards every distinct message is stored once and
processed once, every customer is one contact with one request, and every
staff reply reaches Telegram once.
"""

import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from odoo_process import free_port, start_odoo, stop_odoo

from odoo.addons.client_autoreg.tests.bot_api_server import BotApiServer, UpdateFactory

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "7000011:two-servers-token"
CUSTOMERS = 12  # Telegram customers, each: /start, contact card, a request
POSTS = 12  # website requests
MAILS = 12  # mails of a known customer
RETRYABLE = (502, 503, 504)


@pytest.fixture
def nginx_pair(odoo_settings, tmp_path):
    """Two Odoo servers and nginx in front; yields (url, server A, server B)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        pytest.fail("nginx is missing: scripts/test.sh installs Debian's nginx-light")
    servers = [
        start_odoo(odoo_settings["python"], odoo_settings["src"], odoo_settings["config"],
                   odoo_settings["db"], odoo_settings["artifacts"] / f"odoo-{name}.log",
                   extra=("--proxy-mode",))
        for name in ("a", "b")
    ]
    run_dir = tmp_path / "nginx"
    run_dir.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(run_dir, 0o777)  # nginx's workers drop root
    listen = free_port()
    ports = [int(url.rsplit(":", 1)[1]) for _process, url in servers]
    conf = (ROOT / "deploy" / "nginx-odoo.conf").read_text()
    for placeholder, value in {"RUN_DIR": run_dir, "LISTEN_PORT": listen,
                               "PORT_A": ports[0], "PORT_B": ports[1],
                               "BUS_PORT_A": ports[0], "BUS_PORT_B": ports[1]}.items():
        conf = conf.replace(f"@{placeholder}@", str(value))
    (run_dir / "nginx.conf").write_text(conf)
    proxy = subprocess.Popen([nginx, "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"),
                              "-g", "daemon off;"])
    url = f"http://127.0.0.1:{listen}"
    try:
        _wait_for(url)
        yield url, servers[0][0], servers[1][0]
    finally:
        proxy.terminate()
        proxy.wait(10)
        shutil.copy(run_dir / "error.log", odoo_settings["artifacts"] / "nginx-error.log")
        for process, _url in servers:
            stop_odoo(process)


def _wait_for(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/web/health", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"nginx did not answer on {url}")


def _retrying(send, tries=8):
    """Send until an answer that is not a proxy or connection failure, as
    Telegram and mail servers retry."""
    for attempt in range(tries):
        try:
            status = send()
        except (urllib.error.URLError, ConnectionError, xmlrpc.client.ProtocolError, OSError,
                http.client.HTTPException):  # an answer cut off by the killed server
            status = None
        if status not in (None, *RETRYABLE):
            return status
        time.sleep(0.3 * (attempt + 1))
    return status


class Client:
    """One visitor, with their own cookies (session, CSRF)."""

    def __init__(self, url):
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path, data=None, headers=None):
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


DB = {}


def _rpc(url, model, method, *args, **kwargs):
    """``model.method(*args, **kwargs)`` as the administrator, by XML-RPC."""
    proxy = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
    return proxy.execute_kw(DB["name"], 2, "admin", model, method, list(args), kwargs)


def _run_job(url, xmlid):
    module, name = xmlid.split(".")
    [ref] = _rpc(url, "ir.model.data", "search_read",
                 [("module", "=", module), ("name", "=", name)], fields=["res_id"])
    _rpc(url, "ir.cron", "method_direct_trigger", [ref["res_id"]])


def test_two_servers_one_killed_store_and_process_everything_once(nginx_pair, odoo_settings):
    url, server_a, _server_b = nginx_pair
    DB["name"] = odoo_settings["db"]
    run = uuid.uuid4().hex[:8]
    with BotApiServer(TOKEN) as bot_api:
        bot_id = _rpc(url, "autoreg.telegram.bot", "create",
                      {"name": f"Two servers {run}", "token": TOKEN, "api_url": bot_api.url})
        [bot] = _rpc(url, "autoreg.telegram.bot", "read", [bot_id], fields=["webhook_secret"])
        _rpc(url, "ir.config_parameter", "set_param", "client_autoreg.web_rate_limit", "100000")
        customer_id = _rpc(url, "res.partner", "create",
                           {"name": f"Mail customer {run}", "email": f"mail.{run}@example.in"})

        updates = UpdateFactory(first_update_id=int(run, 16) % 10**8 * 10)
        people = [{"id": 880000000 + index, "first_name": f"Cust{index}",
                   "language_code": "en"} for index in range(CUSTOMERS)]
        streams = [[updates.text(person, "/start"),
                    updates.contact(person, f"+9198{int(run, 16) % 10000:04d}{index:04d}"),
                    updates.text(person, f"Request of {person['first_name']} {run}")]
                   for index, person in enumerate(people)]
        sent = {"count": 0}
        total = CUSTOMERS * 3 + POSTS + MAILS
        lock = threading.Lock()

        def count():
            with lock:
                sent["count"] += 1
                if sent["count"] == total // 3:
                    os.kill(server_a.pid, signal.SIGKILL)  # mid-load, without warning

        def telegram(stream):
            for update in stream:
                body = json.dumps(update).encode()

                def send(body=body):
                    status, _text = Client(url).open(
                        f"/customer/telegram/{bot_id}/webhook", body,
                        {"Content-Type": "application/json",
                         "X-Telegram-Bot-Api-Secret-Token": bot["webhook_secret"]})
                    return status
                assert _retrying(send) == 200
                count()

        posted_subjects = []

        def website(index):
            client = Client(url)
            subject = f"Web request {index} {run}"
            posted_subjects.append(subject)

            def send():
                status, page = client.open("/customer/request")
                if status != 200:
                    return status
                fields = {
                    "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
                    "submission_token": re.search(
                        r'name="submission_token" value="([0-9a-f]{32})"', page).group(1),
                    "name": f"Visitor {index}", "email": f"visitor{index}.{run}@example.in",
                    "phone": "", "subject": subject, "description": "Please help.",
                }
                send.tokens = send.tokens or fields  # a retry posts the same form again
                status, _text = client.open(
                    "/customer/request", urllib.parse.urlencode(send.tokens).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded"})
                return status
            send.tokens = None
            assert _retrying(send) == 200
            count()

        message_ids = []

        def mail(index):
            message_id = f"<two-servers-{index}-{run}@example.in>"
            message_ids.append(message_id)
            raw = (f"From: Mail customer <mail.{run}@example.in>\r\nTo: support@example.in\r\n"
                   f"Subject: Mail {index} {run}\r\nMessage-Id: {message_id}\r\n\r\n"
                   f"Mail number {index}.\r\n")

            def send():
                _rpc(url, "mail.thread", "message_process", "helpdesk.ticket", raw)
                return 200
            assert _retrying(send) == 200
            count()

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(telegram, stream) for stream in streams]
            futures += [pool.submit(website, index) for index in range(POSTS)]
            futures += [pool.submit(mail, index) for index in range(MAILS)]
            for future in futures:
                future.result()
        assert server_a.poll() is not None, "server A was killed during the load"

        # What a stopped worker left is processed by the intake job.
        for _round in range(5):
            _run_job(url, "client_autoreg.ir_cron_autoreg_process_received")
            if not _rpc(url, "autoreg.inbound", "search_count", [("state", "=", "received")]):
                break

        # Telegram: each update stored once; each customer one contact, one request.
        stored = _rpc(url, "autoreg.inbound", "search_read",
                      [("telegram_bot_id", "=", bot_id)], fields=["idempotency_key", "state"])
        keys = [row["idempotency_key"] for row in stored]
        assert len(keys) == len(set(keys)) == CUSTOMERS * 3
        assert not [row for row in stored if row["state"] in ("received", "error")], stored
        chats = _rpc(url, "autoreg.telegram.chat", "search_read", [("bot_id", "=", bot_id)],
                     fields=["partner_id", "state"])
        assert len(chats) == CUSTOMERS and {chat["state"] for chat in chats} == {"linked"}
        partners = {chat["partner_id"][0] for chat in chats}
        assert len(partners) == CUSTOMERS
        tickets = _rpc(url, "helpdesk.ticket", "search_read",
                       [("partner_id", "in", list(partners))], fields=["partner_id"])
        assert len(tickets) == CUSTOMERS

        # Website: each post once, each with its request.
        web = _rpc(url, "autoreg.inbound", "search_read",
                   [("door", "=", "website"), ("subject", "in", posted_subjects)],
                   fields=["subject", "state", "ticket_id"])
        assert sorted(row["subject"] for row in web) == sorted(posted_subjects)
        assert all(row["state"] == "done" and row["ticket_id"] for row in web), web

        # Mail: each Message-Id once, each a request of the known customer.
        mails = _rpc(url, "autoreg.inbound", "search_read",
                     [("door", "=", "mail"), ("idempotency_key", "in", message_ids)],
                     fields=["idempotency_key", "state", "partner_id"])
        assert sorted(row["idempotency_key"] for row in mails) == sorted(message_ids)
        assert all(row["state"] == "done" and row["partner_id"][0] == customer_id
                   for row in mails), mails

        # Staff replies: each reaches Telegram once.
        bot_api.calls.clear()
        for ticket in tickets:
            _rpc(url, "helpdesk.ticket", "message_post", [ticket["id"]],
                 body=f"Reply to {ticket['id']} {run}", message_type="comment",
                 subtype_xmlid="mail.mt_comment")
        _run_job(url, "client_autoreg.ir_cron_autoreg_telegram_send")
        replies = [call["text"] for call in bot_api.sent() if f" {run}" in call["text"]]
        assert sorted(replies) == sorted(f"Reply to {ticket['id']} {run}" for ticket in tickets)
