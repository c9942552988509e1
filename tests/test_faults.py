"""Fault tests: nothing lost when what Odoo depends on fails.

Each test runs a real ``odoo-bin`` on loopback and breaks one thing while
customers write, then proves exactly-once: each distinct inbound stored once
and processed once (requests counted), each reply delivered once.

- PostgreSQL restarted during intake: a private cluster (``initdb`` in a
  temporary directory, the test database copied in with ``pg_dump -Fc`` /
  ``pg_restore``) is stopped with ``pg_ctl stop -m fast`` in the middle of
  mail, Telegram and website traffic, kept down ``FAULTS_PG_OUTAGE`` seconds
  (default 3) and started again. The machine's PostgreSQL is never touched.
- The Bot API unreachable: the loopback Bot API server is stopped while
  staff replies are queued, kept down ``FAULTS_BOT_API_OUTAGE`` seconds
  (default 60: the minute of the issue) and started again on the same port;
  the delivery job, run every few seconds as its cron would, sends each
  reply once and in order, at the outbox's own backoff.
- SMTP refusing mail: a loopback SMTP server refuses service (554), then
  answers 451, then cannot be reached; intake goes on. The temporary
  failures wait in the mail queue and go out once, by themselves, when SMTP
  accepts again (``client_autoreg.mail_retry_delay`` set to 1 s: retries
  after 1, then 5 s); the permanent ones wait for the operator's Retry, then
  go out once.
- A worker killed while it processes: ``odoo-bin --workers=2`` with a cron
  worker; the cron worker is killed with SIGKILL in the middle of the intake
  job; the job runs again and processes every update once.
"""

import calendar
import configparser
import glob
import hashlib
import imaplib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import psutil
import psycopg2
import pytest
import test_two_servers as two
from conftest import JsonRpcSession
from odoo_process import free_port, start_odoo, stop_odoo
from smtp_server import SmtpServer

from odoo.addons.client_autoreg.tests.bot_api_server import BotApiServer, UpdateFactory

PG_OUTAGE = float(os.environ.get("FAULTS_PG_OUTAGE", "3"))
BOT_API_OUTAGE = float(os.environ.get("FAULTS_BOT_API_OUTAGE", "60"))
INTAKE_JOB = "client_autoreg.ir_cron_autoreg_process_received"
SEND_JOB = "client_autoreg.ir_cron_autoreg_telegram_send"
MAIL_QUEUE_JOB = "mail.ir_cron_mail_scheduler_action"


def _run(command, **kwargs):
    return subprocess.run([str(part) for part in command], check=True,
                          stdout=subprocess.DEVNULL, **kwargs)


def _db_params(odoo_settings):
    parser = configparser.ConfigParser()
    parser.read(odoo_settings["config"])
    options = parser["options"]
    return {"host": options.get("db_host", "127.0.0.1"),
            "port": options.get("db_port", "5432"),
            "user": options.get("db_user", "odoo")}


class PrivatePostgres:
    """A PostgreSQL cluster of our own on a free loopback port."""

    def __init__(self, root):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = binaries[-1] if binaries else shutil.which("initdb")
        if not initdb:
            pytest.fail("initdb is missing: the fault tests need Debian's postgresql package")
        self.bin = Path(initdb).parent
        self.root = Path(root)
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "odoo"
        # PostgreSQL refuses to run as root: the cluster belongs to postgres.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.root, "postgres")
        _run([*self.as_owner, self.bin / "initdb", "-D", self.data, "-U", self.user,
              "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"])
        self.start()

    def pg_ctl(self, *args):
        _run([*self.as_owner, self.bin / "pg_ctl", "-D", self.data, "-w", *args])

    def start(self):
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=100")
        self.pg_ctl("-o", options, "-l", self.root / "postgresql.log", "start")

    def stop(self, mode="fast"):
        self.pg_ctl("-m", mode, "stop")

    def copy_database(self, source, name):
        """``source``: dict of host, port, user, dbname of the database to copy."""
        dump = self.root / "copy.dump"
        _run(["pg_dump", "-h", source["host"], "-p", source["port"], "-U", source["user"],
              "-Fc", "-Z1", "-f", dump, source["dbname"]])
        _run(["createdb", "-h", "127.0.0.1", "-p", self.port, "-U", self.user,
              "-T", "template0", name])
        _run(["pg_restore", "-h", "127.0.0.1", "-p", self.port, "-U", self.user,
              "--no-owner", "-j", "2", "-d", name, dump])

    def destroy(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def private_pg(odoo_settings):
    """The test database copied into a private cluster, served by odoo-bin
    (the PostgreSQL tests restart it; each leaves it running)."""
    cluster = PrivatePostgres(tempfile.mkdtemp(prefix="autoreg-pg-"))
    try:
        source = {**_db_params(odoo_settings), "dbname": odoo_settings["db"]}
        # The same name: the copy finds the database's filestore.
        cluster.copy_database(source, odoo_settings["db"])
        process, url = start_odoo(
            odoo_settings["python"], odoo_settings["src"], odoo_settings["config"],
            odoo_settings["db"], odoo_settings["artifacts"] / "odoo-faults-pg.log",
            extra=("--db_host=127.0.0.1", f"--db_port={cluster.port}"),
        )
        try:
            yield url, cluster
        finally:
            stop_odoo(process)
    finally:
        shutil.copy(cluster.root / "postgresql.log",
                    odoo_settings["artifacts"] / "postgresql-faults.log")
        cluster.destroy()


@pytest.fixture(scope="module")
def odoo_threaded(odoo_settings):
    """One threaded server for the Bot API and SMTP tests; mail goes out
    from the address an operator sets (``--email-from``; in production the
    company's alias domain gives it)."""
    process, url = start_odoo(
        odoo_settings["python"], odoo_settings["src"], odoo_settings["config"],
        odoo_settings["db"], odoo_settings["artifacts"] / "odoo-faults.log",
        extra=("--email-from=support@example.in",),
    )
    try:
        yield url
    finally:
        stop_odoo(process)


def _deliver(send, refusals, tries=60):
    """Send until accepted (200), as Telegram and mail servers retry; each
    refusal is recorded (an HTTP status, or the exception's name)."""
    for attempt in range(tries):
        try:
            status = send()
        except (OSError, xmlrpc.client.Error) as error:
            status = type(error).__name__
        if status == 200:
            return True
        refusals.append(status)
        time.sleep(min(0.2 * (attempt + 1), 1.0))
    return False


def _run_job_retrying(url, xmlid, tries=20):
    for _attempt in range(tries):
        try:
            two._run_job(url, xmlid)
            return
        except (OSError, xmlrpc.client.Error):
            time.sleep(0.5)
    two._run_job(url, xmlid)


def _drain_intake(url, domain, rounds=10):
    """Run the intake job until nothing of ``domain`` waits."""
    for _round in range(rounds):
        _run_job_retrying(url, INTAKE_JOB)
        if not two._rpc(url, "autoreg.inbound", "search_count",
                        [*domain, ("state", "=", "received")]):
            return
    raise AssertionError("the intake job left messages unprocessed")


def _new_bot(url, bot_api, run):
    bot_id = two._rpc(url, "autoreg.telegram.bot", "create",
                      {"name": f"Faults {run}", "token": bot_api.token, "api_url": bot_api.url})
    [bot] = two._rpc(url, "autoreg.telegram.bot", "read", [bot_id], fields=["webhook_secret"])
    return bot_id, bot["webhook_secret"]


def _post_update(url, bot_id, secret, update):
    status, _text = two.Client(url).open(
        f"/customer/telegram/{bot_id}/webhook", json.dumps(update).encode(),
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})
    return status


def _streams(run, count, base):
    """``count`` Telegram customers, each: /start, own contact card, a request."""
    updates = UpdateFactory(first_update_id=int(run, 16) % 10**8 * 10)
    people = [{"id": base + index, "first_name": f"Cust{index}", "language_code": "en"}
              for index in range(count)]
    return [[updates.text(person, "/start"),
             updates.contact(person, f"+9197{int(run, 16) % 10000:04d}{index:04d}"),
             updates.text(person, f"Request of {person['first_name']} {run}")]
            for index, person in enumerate(people)]


def _assert_telegram_once(url, bot_id, customers):
    """Each update stored once and processed; each customer one contact and
    one request."""
    stored = two._rpc(url, "autoreg.inbound", "search_read", [("telegram_bot_id", "=", bot_id)],
                      fields=["idempotency_key", "state", "error_message"])
    keys = [row["idempotency_key"] for row in stored]
    assert len(keys) == len(set(keys)) == customers * 3
    assert not [row for row in stored if row["state"] in ("received", "error")], stored
    chats = two._rpc(url, "autoreg.telegram.chat", "search_read", [("bot_id", "=", bot_id)],
                     fields=["partner_id", "state"])
    assert len(chats) == customers and {chat["state"] for chat in chats} == {"linked"}
    partners = {chat["partner_id"][0] for chat in chats}
    assert len(partners) == customers
    tickets = two._rpc(url, "helpdesk.ticket", "search_read",
                       [("partner_id", "in", list(partners))], fields=["partner_id"])
    assert len(tickets) == customers
    return tickets


class WebVisitor:
    """A visitor filling in the request form, retrying as a person does:
    the same form sent again while the page keeps it, a fresh form when the
    site says it expired."""

    def __init__(self, url, subject, email):
        self.client = two.Client(url)
        self.subject, self.email = subject, email
        self.fields = None

    def send(self):
        if not self.fields:
            status, page = self.client.open("/customer/request")
            if status != 200:
                return status
            self.fields = {
                "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
                "submission_token": re.search(
                    r'name="submission_token" value="([0-9a-f]{32})"', page).group(1),
                "name": "Visitor", "email": self.email, "phone": "",
                "subject": self.subject, "description": "Please help.",
            }
        status, _text = self.client.open(
            "/customer/request", urllib.parse.urlencode(self.fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        if status == 400:
            self.fields = None  # the session was reset: the visitor reloads the form
        return status


def _mail(index, run, sender):
    message_id = f"<faults-{index}-{run}@example.in>"
    raw = (f"From: Mail customer <{sender}>\r\nTo: support@example.in\r\n"
           f"Subject: Mail {index} {run}\r\nMessage-Id: {message_id}\r\n\r\n"
           f"Mail number {index}.\r\n")
    return message_id, raw


# ----------------------------------------------------------------------
# PostgreSQL restarted during intake
# ----------------------------------------------------------------------

def test_postgresql_restarted_during_intake_loses_and_doubles_nothing(private_pg, odoo_settings):
    url, cluster = private_pg
    two.DB["name"] = odoo_settings["db"]
    run = uuid.uuid4().hex[:8]
    customers = posts = mails = 8
    with BotApiServer("7000021:faults-pg-token") as bot_api:
        bot_id, secret = _new_bot(url, bot_api, run)
        two._rpc(url, "ir.config_parameter", "set_param", "client_autoreg.web_rate_limit",
                 "100000")
        sender = f"mail.{run}@example.in"
        customer_id = two._rpc(url, "res.partner", "create",
                               {"name": f"Mail customer {run}", "email": sender})
        streams = _streams(run, customers, 870000000)
        total = customers * 3 + posts + mails
        refusals = {"telegram": [], "website": [], "mail": []}
        accepted, lock = [0], threading.Lock()
        restart = threading.Event()
        restarted = threading.Event()

        def restarter():
            restart.wait()
            cluster.stop("fast")  # aborts the transactions in progress
            time.sleep(PG_OUTAGE)
            cluster.start()
            restarted.set()

        def count():
            with lock:
                accepted[0] += 1
                if accepted[0] == total // 3:
                    restart.set()

        def telegram(stream):
            for update in stream:
                assert _deliver(lambda u=update: _post_update(url, bot_id, secret, u),
                                refusals["telegram"])
                count()

        subjects = [f"Web request {index} {run}" for index in range(posts)]

        def website(index):
            visitor = WebVisitor(url, subjects[index], f"visitor{index}.{run}@example.in")
            assert _deliver(visitor.send, refusals["website"])
            count()

        message_ids = []

        def mail(index):
            message_id, raw = _mail(index, run, sender)
            message_ids.append(message_id)

            def send():
                two._rpc(url, "mail.thread", "message_process", "helpdesk.ticket", raw)
                return 200
            assert _deliver(send, refusals["mail"])
            count()

        def scheduler():
            """The intake job, as its cron runs it, while the load lasts."""
            while not done.is_set():
                try:
                    two._run_job(url, INTAKE_JOB)
                except (OSError, xmlrpc.client.Error):
                    refusals.setdefault("intake job", []).append("failed")
                time.sleep(0.3)

        done = threading.Event()
        jobs = [threading.Thread(target=restarter), threading.Thread(target=scheduler)]
        for job in jobs:
            job.start()
        try:
            with ThreadPoolExecutor(max_workers=6) as pool:
                futures = []
                for index, stream in enumerate(streams):  # the three doors at once
                    futures += [pool.submit(telegram, stream), pool.submit(website, index),
                                pool.submit(mail, index)]
                for future in futures:
                    future.result()
        finally:
            done.set()
            restart.set()
            for job in jobs:
                job.join(60)
        assert restarted.is_set(), "PostgreSQL was restarted during the load"
        print(f"\nrefused during the PostgreSQL outage: {json.dumps(refusals)}")
        # The outage was met by the load, and every refusal is one the
        # sender retries: Telegram resends on any status but 2xx, a mail
        # server keeps a mail the gateway did not take.
        assert sum(len(statuses) for statuses in refusals.values()) > 0
        assert all(status != 200 for statuses in refusals.values() for status in statuses)

        _drain_intake(url, [("telegram_bot_id", "=", bot_id)])
        _assert_telegram_once(url, bot_id, customers)

        web = two._rpc(url, "autoreg.inbound", "search_read",
                       [("door", "=", "website"), ("subject", "in", subjects)],
                       fields=["subject", "state", "ticket_id"])
        assert sorted(row["subject"] for row in web) == sorted(subjects)
        assert all(row["state"] == "done" and row["ticket_id"] for row in web), web
        web_tickets = two._rpc(url, "helpdesk.ticket", "search_read",
                               [("name", "in", subjects)], fields=["name"])
        assert sorted(ticket["name"] for ticket in web_tickets) == sorted(subjects)

        stored_mails = two._rpc(url, "autoreg.inbound", "search_read",
                                [("door", "=", "mail"), ("idempotency_key", "in", message_ids)],
                                fields=["idempotency_key", "state", "ticket_id"])
        assert sorted(row["idempotency_key"] for row in stored_mails) == sorted(message_ids)
        assert all(row["state"] == "done" for row in stored_mails), stored_mails
        mail_tickets = two._rpc(url, "helpdesk.ticket", "search_read",
                                [("partner_id", "=", customer_id)], fields=["name"])
        assert sorted(ticket["name"] for ticket in mail_tickets) == sorted(
            f"Mail {index} {run}" for index in range(mails))


def test_postgresql_restarted_while_fetchmail_reads_imap_loses_no_mail(
        private_pg, odoo_settings, imap_server):
    """Fetchmail marks a mail read on the IMAP server only once it is
    stored: a mail whose transaction the restart cut is fetched again."""
    url, cluster = private_pg
    two.DB["name"] = odoo_settings["db"]
    run = uuid.uuid4().hex[:8]
    count = 20
    keys = []
    imap = imaplib.IMAP4("127.0.0.1", imap_server["port"])
    imap.login(imap_server["user"], imap_server["password"])
    imap.select("INBOX")
    for index in range(count):
        key = f"<fetch-{index}-{run}@imap.test>"
        keys.append(key)
        raw = (f"From: Fetch {index} <fetch{index}.{run}@example.in>\r\n"
               f"To: support@company.example\r\nSubject: Fetched {index} {run}\r\n"
               f"Message-Id: {key}\r\n\r\nMail {index}.\r\n")
        imap.append("INBOX", None, None, raw.encode())
    [model] = two._rpc(url, "ir.model", "search", [("model", "=", "helpdesk.ticket")])
    server = two._rpc(url, "fetchmail.server", "create", {
        "name": f"IMAP faults {run}", "server_type": "imap", "server": "127.0.0.1",
        "port": imap_server["port"], "is_ssl": False, "user": imap_server["user"],
        "password": imap_server["password"], "object_id": model})
    two._rpc(url, "fetchmail.server", "button_confirm_login", [server])

    def connect():
        return psycopg2.connect(dbname=odoo_settings["db"], host="127.0.0.1",
                                port=cluster.port, user=cluster.user)

    def stored():
        connection = connect()
        try:
            with connection.cursor() as cr:
                cr.execute("SELECT idempotency_key FROM autoreg_inbound "
                           "WHERE idempotency_key IN %s", (tuple(keys),))
                return [key for (key,) in cr.fetchall()]
        finally:
            connection.close()

    # The restart must come while the gateway holds a mail: another
    # transaction holds the intake lock of mail 5, so the gateway waits
    # there, inside message_process, when PostgreSQL goes down.
    blocker = connect()
    lock_key = hashlib.sha256(f"inbound:mail:{keys[5]}".encode()).hexdigest()[:32]
    with blocker.cursor() as cr:
        cr.execute("INSERT INTO autoreg_lock (key, touched) VALUES (%s, NOW()) "
                   "ON CONFLICT (key) DO UPDATE SET touched = NOW()", (lock_key,))
    fetch = threading.Thread(target=lambda: _swallow(
        lambda: two._rpc(url, "fetchmail.server", "fetch_mail", [server])))
    fetch.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with blocker.cursor() as cr:
            cr.execute("SELECT COUNT(*) FROM pg_locks WHERE NOT granted")
            if cr.fetchone()[0]:
                break
        time.sleep(0.05)
    cluster.stop("fast")  # the gateway is waiting inside mail 5
    blocker.close()
    time.sleep(PG_OUTAGE)
    cluster.start()
    fetch.join(60)
    before = stored()
    assert sorted(before) == sorted(keys[:5]), "the restart came in the middle of the fetch"

    for _round in range(3):  # fetchmail's next runs
        _swallow(lambda: two._rpc(url, "fetchmail.server", "fetch_mail", [server]))
    after = stored()
    imap.select("INBOX")  # what the other sessions changed
    unseen = imap.search(None, "UNSEEN")[1][0].split()
    imap.logout()
    print(f"\nfetchmail: {len(before)}/{count} stored before the restart, "
          f"{len(after)}/{count} after the next runs")
    assert sorted(after) == sorted(keys), "every mail fetched is stored, once"
    assert not unseen


def _swallow(call):
    try:
        call()
    except (OSError, xmlrpc.client.Error):
        pass


# ----------------------------------------------------------------------
# The Bot API unreachable, then back
# ----------------------------------------------------------------------

class BotApiOnPort(BotApiServer):
    """The loopback Bot API started again on the port it had."""

    def __init__(self, token, port):
        super().__init__(token)
        self._server.server_close()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True


def _outbox(url, bot_id, run):
    return two._rpc(url, "autoreg.telegram.message", "search_read",
                    [("bot_id", "=", bot_id), ("text", "like", f"% {run}")],
                    fields=["text", "state", "failure_kind", "attempt_count", "chat_id"],
                    order="id")


def test_bot_api_unreachable_then_back_delivers_each_reply_once_in_order(
        odoo_threaded, odoo_settings):
    url = odoo_threaded
    two.DB["name"] = odoo_settings["db"]
    run = uuid.uuid4().hex[:8]
    token = "7000022:faults-bot-api-token"
    bot_api = BotApiServer(token).start()
    port = bot_api._server.server_port
    bot_id, secret = _new_bot(url, bot_api, run)
    try:
        _bot_api_outage(url, run, token, bot_api, port, bot_id, secret)
    finally:
        two._rpc(url, "autoreg.telegram.bot", "unlink", [bot_id])


def _bot_api_outage(url, run, token, bot_api, port, bot_id, secret):
    try:
        for stream in _streams(run, 2, 871000000):
            for update in stream:
                assert _post_update(url, bot_id, secret, update) == 200
        _drain_intake(url, [("telegram_bot_id", "=", bot_id)])
        tickets = _assert_telegram_once(url, bot_id, 2)
        two._run_job(url, SEND_JOB)  # the bot's own answers go out first
        assert not two._rpc(url, "autoreg.telegram.message", "search_count",
                            [("bot_id", "=", bot_id), ("state", "!=", "sent")])
    finally:
        bot_api.stop()  # Telegram out of reach: connections refused

    outage_started = time.monotonic()
    replies = []  # in the order staff wrote them
    for number in range(3):
        for ticket in tickets:
            text = f"Reply {number} to {ticket['id']} {run}"
            two._rpc(url, "helpdesk.ticket", "message_post", [ticket["id"]], body=text,
                     message_type="comment", subtype_xmlid="mail.mt_comment")
            replies.append((ticket["id"], text))
    two._run_job(url, SEND_JOB)
    queued = _outbox(url, bot_id, run)
    assert [row["text"] for row in queued] == [text for _ticket, text in replies]
    assert {row["state"] for row in queued} <= {"error", "pending"}
    failed = [row for row in queued if row["state"] == "error"]
    assert len(failed) == 2  # the first reply of each chat; the others wait behind it
    assert {row["failure_kind"] for row in failed} == {"unreachable"}
    while time.monotonic() - outage_started < BOT_API_OUTAGE:
        two._run_job(url, SEND_JOB)  # the cron keeps running meanwhile
        time.sleep(min(5, BOT_API_OUTAGE))
    assert not [row for row in _outbox(url, bot_id, run) if row["state"] == "sent"]

    with BotApiOnPort(token, port) as back:
        deadline = time.monotonic() + 3 * BOT_API_OUTAGE + 90
        while time.monotonic() < deadline:
            two._run_job(url, SEND_JOB)
            if all(row["state"] == "sent" for row in _outbox(url, bot_id, run)):
                break
            time.sleep(2)
        two._run_job(url, SEND_JOB)  # once more: nothing is sent twice
        outbox = _outbox(url, bot_id, run)
        sent = [call for call in back.sent() if call["text"].endswith(f" {run}")]
    assert all(row["state"] == "sent" for row in outbox), outbox
    print(f"\nBot API down {BOT_API_OUTAGE:.0f} s; attempts per reply: "
          f"{[row['attempt_count'] for row in outbox]}")
    chat_of = {row["text"]: row["chat_id"][0] for row in outbox}
    for chat in set(chat_of.values()):
        expected = [text for _ticket, text in replies if chat_of[text] == chat]
        got = [call["text"] for call in sent if chat_of[call["text"]] == chat]
        assert got == expected  # each once, in the order written


# ----------------------------------------------------------------------
# SMTP refusing mail
# ----------------------------------------------------------------------

def _receipts(url, addresses):
    """The mails queued to the visitors ``addresses``, with their address."""
    mails = two._rpc(url, "mail.mail", "search_read",
                     [("model", "=", "helpdesk.ticket"),
                      ("recipient_ids.email", "in", addresses)],
                     fields=["recipient_ids", "state", "failure_reason", "scheduled_date",
                             "autoreg_retry_count"], order="id")
    partners = {partner["id"]: partner["email"] for partner in two._rpc(
        url, "res.partner", "read", [pid for mail in mails for pid in mail["recipient_ids"]],
        fields=["email"])}
    for mail in mails:
        mail["emails"] = [partners[pid] for pid in mail["recipient_ids"]]
    return mails


def _wait_until_due(mails):
    """Sleep until the retry time of each of ``mails`` has come: the mail
    queue takes a mail only then (its ``scheduled_date``, UTC)."""
    due = max(calendar.timegm(time.strptime(mail["scheduled_date"], "%Y-%m-%d %H:%M:%S"))
              for mail in mails)
    time.sleep(max(0.0, due - time.time()) + 0.5)


def test_smtp_refusing_mail_keeps_intake_running_and_retries_temporary_failures(
        odoo_threaded, odoo_settings):
    url = odoo_threaded
    two.DB["name"] = odoo_settings["db"]
    run = uuid.uuid4().hex[:8]
    two._rpc(url, "ir.config_parameter", "set_param", "client_autoreg.web_rate_limit", "100000")
    # Retries after 1 s, then 5 s (in production 1 min, then 5 min...).
    two._rpc(url, "ir.config_parameter", "set_param", "client_autoreg.mail_retry_delay", "1")
    with SmtpServer(mode="closed") as smtp:
        server_id = two._rpc(url, "ir.mail_server", "create", {
            "name": f"Loopback SMTP {run}", "smtp_host": "127.0.0.1", "smtp_port": smtp.port,
            "smtp_encryption": "none", "sequence": 1})
        try:
            addresses = []

            def post(index):
                address = f"smtp{index}.{run}@example.in"
                addresses.append(address)
                visitor = WebVisitor(url, f"Smtp request {index} {run}", address)
                assert visitor.send() == 200  # intake does not wait for SMTP

            for index in range(2):
                post(index)
            two._run_job(url, MAIL_QUEUE_JOB)  # 554 at the greeting: permanent
            refused_for_good = addresses[:]
            smtp.set_mode("busy")
            for index in range(2, 5):
                post(index)
            two._run_job(url, MAIL_QUEUE_JOB)  # 451 for each: temporary
            busy = addresses[2:]

            web = two._rpc(url, "autoreg.inbound", "search_read",
                           [("door", "=", "website"), ("sender_email", "in", addresses)],
                           fields=["state", "ticket_id"])
            assert len(web) == 5 and all(row["state"] == "done" and row["ticket_id"]
                                         for row in web), web
            queued = _receipts(url, addresses)
            summary = [(mail["emails"], mail["state"], mail["autoreg_retry_count"],
                        mail["failure_reason"]) for mail in queued]
            print(f"\nqueued while SMTP refused: {summary}")
            assert sorted(email for mail in queued for email in mail["emails"]) == sorted(
                addresses)
            failed = [mail for mail in queued if mail["emails"][0] in refused_for_good]
            retried = [mail for mail in queued if mail["emails"][0] in busy]
            assert {mail["state"] for mail in failed} == {"exception"}
            assert all("554" in mail["failure_reason"] for mail in failed), failed
            assert {(mail["state"], mail["autoreg_retry_count"]) for mail in retried} == {
                ("outgoing", 1)}, retried
            assert all("451" in mail["failure_reason"] for mail in retried), retried
            assert not [rcpt for rcpt in smtp.recipients() if rcpt in addresses]
            assert {code for code, _cmd in smtp.refused} >= {451, 554}

            # At the retry time the relay is out of reach (connection
            # refused): retried again, later.
            _wait_until_due(retried)
            two._rpc(url, "ir.mail_server", "write", [server_id], {"smtp_port": free_port()})
            two._run_job(url, MAIL_QUEUE_JOB)
            retried = _receipts(url, busy)
            assert {(mail["state"], mail["autoreg_retry_count"]) for mail in retried} == {
                ("outgoing", 2)}, retried
            assert all("refused" in mail["failure_reason"] for mail in retried), retried

            # SMTP accepts again: at their retry time the mail queue job, run
            # as its cron is triggered, sends them, once; nobody pressed Retry.
            two._rpc(url, "ir.mail_server", "write", [server_id], {"smtp_port": smtp.port})
            smtp.set_mode("accept")
            _wait_until_due(retried)
            two._run_job(url, MAIL_QUEUE_JOB)
            two._run_job(url, MAIL_QUEUE_JOB)
            delivered = [rcpt for rcpt in smtp.recipients() if rcpt in addresses]
            assert sorted(delivered) == sorted(busy)
            # a receipt sent is deleted (auto_delete), as in Odoo
            assert not [mail for mail in _receipts(url, busy) if mail["state"] != "sent"]

            # The permanent failures wait for the operator's Retry
            # (Settings > Technical > Emails), then go out once.
            assert {mail["state"] for mail in _receipts(url, refused_for_good)} == {
                "exception"}
            operator = JsonRpcSession(url)
            operator.login(odoo_settings["db"], "admin", "admin")
            answer = operator.call_kw("mail.mail", "action_retry", [[m["id"] for m in failed]])
            assert "error" not in answer, answer
            two._run_job(url, MAIL_QUEUE_JOB)
            two._run_job(url, MAIL_QUEUE_JOB)
            delivered = [rcpt for rcpt in smtp.recipients() if rcpt in addresses]
            assert sorted(delivered) == sorted(addresses)  # each once
            assert not [mail for mail in _receipts(url, addresses) if mail["state"] != "sent"]
        finally:
            two._rpc(url, "ir.mail_server", "unlink", [server_id])
            two._rpc(url, "ir.config_parameter", "set_param",
                     "client_autoreg.mail_retry_delay", False)


# ----------------------------------------------------------------------
# A worker killed while it processes
# ----------------------------------------------------------------------

@contextmanager
def _database(odoo_settings):
    connection = psycopg2.connect(dbname=odoo_settings["db"], **_db_params(odoo_settings))
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def _odoo_pids(connection, sql, params=()):
    """The Odoo processes (``odoo-<pid>`` connections) the query selects."""
    with connection.cursor() as cr:
        cr.execute(sql, params)
        return sorted({int(name.split("-")[1]) for (name,) in cr.fetchall()
                       if re.fullmatch(r"odoo-\d+", name or "")})


def _cron_worker_pids(connection):
    """The cron worker keeps a connection to the postgres database to
    listen for job triggers; the HTTP workers do not."""
    return _odoo_pids(connection, "SELECT application_name FROM pg_stat_activity "
                                  "WHERE datname = 'postgres'")


def _processing_pids(connection):
    """The processes whose transaction holds rows of the inbound table,
    found by their connection's port (a worker's connections carry the
    application name of the server that forked it)."""
    with connection.cursor() as cr:
        cr.execute("""
            SELECT activity.client_port
              FROM pg_locks lock JOIN pg_stat_activity activity ON activity.pid = lock.pid
             WHERE lock.relation = 'autoreg_inbound'::regclass
               AND lock.mode IN ('RowShareLock', 'RowExclusiveLock')
               AND activity.pid != pg_backend_pid()""")
        ports = {port for (port,) in cr.fetchall()}
    return sorted({conn.pid for conn in psutil.net_connections("tcp")
                   if conn.laddr and conn.laddr.port in ports and conn.pid})


def _locked_inbound(connection, ids):
    """How many of ``ids`` a transaction holds, i.e. is processing now."""
    with connection.cursor() as cr:
        cr.execute("BEGIN")
        cr.execute("SELECT count(*) FROM (SELECT id FROM autoreg_inbound WHERE id IN %s "
                   "FOR UPDATE SKIP LOCKED) free", (tuple(ids),))
        free = cr.fetchone()[0]
        cr.execute("ROLLBACK")
    return len(ids) - free


def _processed_inbound(connection, ids):
    """How many of ``ids`` were processed and committed."""
    with connection.cursor() as cr:
        cr.execute("SELECT count(*) FROM autoreg_inbound WHERE id IN %s AND state != 'received'",
                   (tuple(ids),))
        return cr.fetchone()[0]


def _set_intake_job_active(url, active):
    module, name = INTAKE_JOB.split(".")
    [ref] = two._rpc(url, "ir.model.data", "search_read",
                     [("module", "=", module), ("name", "=", name)], fields=["res_id"])
    for _attempt in range(60):  # refused while the job runs
        try:
            two._rpc(url, "ir.cron", "write", [ref["res_id"]],
                     {"active": active, "nextcall": time.strftime("%Y-%m-%d %H:%M:%S",
                                                                  time.gmtime())})
            return
        except xmlrpc.client.Fault:
            time.sleep(0.5)
    raise AssertionError("the intake job could not be switched")


def test_cron_worker_killed_while_processing_intake_processes_each_once(
        odoo_settings, monkeypatch):
    two.DB["name"] = odoo_settings["db"]
    run = uuid.uuid4().hex[:8]
    customers = 15
    # The cron worker wakes on job changes too, not only on triggers.
    monkeypatch.setenv("ODOO_NOTIFY_CRON_CHANGES", "1")
    cleanup, started = [], time.monotonic()
    process, url = start_odoo(
        odoo_settings["python"], odoo_settings["src"], odoo_settings["config"],
        odoo_settings["db"], odoo_settings["artifacts"] / "odoo-faults-prefork.log",
        workers=2, extra=("--max-cron-threads=1",),
    )
    try:
        with BotApiServer("7000023:faults-kill-token") as bot_api, \
                _database(odoo_settings) as connection:
            bot_id, secret = _new_bot(url, bot_api, run)
            cleanup.append(bot_id)
            # A backlog for the intake job: stored while the job is off.
            _set_intake_job_active(url, False)
            try:
                streams = _streams(run, customers, 872000000)
                for stream in streams:
                    for update in stream:
                        assert _post_update(url, bot_id, secret, update) == 200
            finally:
                _set_intake_job_active(url, True)
            ids = two._rpc(url, "autoreg.inbound", "search",
                           [("telegram_bot_id", "=", bot_id)])
            assert len(ids) == customers * 3

            deadline, victim, locked, done = time.monotonic() + 90, None, 0, 0
            while time.monotonic() < deadline:
                locked = _locked_inbound(connection, ids)
                done = _processed_inbound(connection, ids)
                # in the middle of the job: some messages committed (one
                # transaction each), one being processed, the rest waiting
                if locked and 5 <= done < len(ids) - 5:
                    [victim] = _processing_pids(connection)
                    assert victim in _cron_worker_pids(connection)
                    os.kill(victim, signal.SIGKILL)
                    break
                time.sleep(0.05)
            assert victim, "the cron worker never processed the backlog"
            print(f"\nkilled cron worker {victim} processing a message, {done}/{len(ids)} "
                  f"done, at {time.monotonic() - started:.0f} s")

            # The server starts a cron worker in place of the killed one; a
            # new update arrives (traffic goes on) and its trigger wakes it.
            # (Without traffic it wakes within its poll interval, ~1 min.)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                    set(_cron_worker_pids(connection)) - {victim}):
                time.sleep(0.2)
            late = UpdateFactory(first_update_id=int(run, 16) % 10**8 * 10 + 900)
            person = {"id": 872000000, "first_name": "Cust0", "language_code": "en"}
            assert _post_update(url, bot_id, secret, late.text(person, f"Again {run}")) == 200
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and two._rpc(
                    url, "autoreg.inbound", "search_count",
                    [("telegram_bot_id", "=", bot_id), ("state", "=", "received")]):
                time.sleep(1)
            assert victim not in _cron_worker_pids(connection)  # a new one took over
            print(f"backlog processed again at {time.monotonic() - started:.0f} s")

            stored = two._rpc(url, "autoreg.inbound", "search_read",
                              [("telegram_bot_id", "=", bot_id)],
                              fields=["idempotency_key", "state", "attempt_count"])
            assert len(stored) == customers * 3 + 1
            assert not [row for row in stored if row["state"] in ("received", "error")]
            # the killed transaction left no trace: each message tried once
            assert {row["attempt_count"] for row in stored} == {1}
            chats = two._rpc(url, "autoreg.telegram.chat", "search_read",
                             [("bot_id", "=", bot_id)], fields=["partner_id", "state"])
            assert len(chats) == customers and {c["state"] for c in chats} == {"linked"}
            partners = [chat["partner_id"][0] for chat in chats]
            assert len(set(partners)) == customers
            tickets = two._rpc(url, "helpdesk.ticket", "search_read",
                               [("partner_id", "in", partners)], fields=["partner_id"])
            assert len(tickets) == customers

            # The bot's answers (sent by the cron worker too): each once.
            deadline = time.monotonic() + 100
            while time.monotonic() < deadline and two._rpc(
                    url, "autoreg.telegram.message", "search_count",
                    [("bot_id", "=", bot_id), ("state", "!=", "sent")]):
                time.sleep(1)
            print(f"answers sent at {time.monotonic() - started:.0f} s")
            queued = two._rpc(url, "autoreg.telegram.message", "search_read",
                              [("bot_id", "=", bot_id)], fields=["chat_id", "text", "state"])
            assert queued and {row["state"] for row in queued} == {"sent"}
            calls = bot_api.sent()
            assert len(calls) == len(queued)
            by_chat = {}
            for call in calls:
                by_chat.setdefault(call["chat_id"], []).append(call["text"])
            assert len(by_chat) == customers
            assert all(len(texts) == len(set(texts)) for texts in by_chat.values()), by_chat
    finally:
        if cleanup:
            two._rpc(url, "autoreg.telegram.bot", "unlink", cleanup)
        stop_odoo(process)
