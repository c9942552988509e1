"""End-to-end fixtures: a real Odoo server on loopback, started with odoo-bin.

The settings come from scripts/test.sh (ODOO_SRC, ODOO_VENV, ODOO_RC,
ODOO_TEST_DB); each has the same default as there.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from odoo_process import free_port, start_odoo, stop_odoo

ROOT = Path(__file__).resolve().parent.parent


def _setting(name, default):
    return os.environ.get(name) or default


@pytest.fixture(scope="session")
def odoo_settings():
    venv = Path(_setting("ODOO_VENV", ROOT / ".venv"))
    return {
        "src": Path(_setting("ODOO_SRC", "/opt/odoo-18.0")),
        "python": str(venv / "bin" / "python") if venv.exists() else sys.executable,
        "config": _setting("ODOO_RC", str(venv / "client_autoreg-test.conf")),
        "db": _setting("ODOO_TEST_DB", "client_autoreg_test"),
        "artifacts": Path(_setting("ARTIFACTS_DIR", ROOT / "test-artifacts")),
    }


def odoo_command(settings, *args, subcommand=None):
    """odoo-bin with the test configuration; a subcommand must come first."""
    command = [settings["python"], str(settings["src"] / "odoo-bin")]
    if subcommand:
        command.append(subcommand)
    return [*command, "-c", settings["config"], *args]


@pytest.fixture(scope="session")
def odoo_server(odoo_settings):
    """Odoo serving the test database on a free loopback port."""
    process, url = start_odoo(
        odoo_settings["python"], odoo_settings["src"], odoo_settings["config"],
        odoo_settings["db"], odoo_settings["artifacts"] / "odoo-server.log",
    )
    try:
        yield url
    finally:
        stop_odoo(process)


class JsonRpcSession:
    """A browser-like session speaking Odoo's JSON-RPC web API."""

    def __init__(self, url):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

    def call(self, path, **params):
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=60) as response:
            return json.load(response)

    def login(self, db, login, password):
        answer = self.call("/web/session/authenticate", db=db, login=login, password=password)
        assert "error" not in answer, answer
        return answer["result"]

    def call_kw(self, model, method, args, **kwargs):
        return self.call(
            f"/web/dataset/call_kw/{model}/{method}",
            model=model, method=method, args=args, kwargs=kwargs,
        )


@pytest.fixture
def rpc(odoo_server):
    return JsonRpcSession(odoo_server)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, odoo_settings, request):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    page = context.new_page()
    yield page
    shot = odoo_settings["artifacts"] / f"{request.node.name}.png"
    page.screenshot(path=str(shot), full_page=True)
    context.close()


def backend_login(page, url, login, password):
    page.goto(f"{url}/web/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click(".oe_login_form button[type=submit]")
    page.wait_for_selector(".o_main_navbar", timeout=60000)


DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="session")
def imap_server(tmp_path_factory):
    """Debian's dovecot serving one mailbox over IMAP on loopback."""
    import grp
    import pwd
    import shutil
    import tempfile

    dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
    root = Path(tempfile.mkdtemp(prefix="autoreg-imap-"))
    root.chmod(0o755)
    for folder in ("run", "state", "mail", "home"):
        (root / folder).mkdir()
    if os.geteuid() == 0:  # dovecot refuses to deliver mail as root
        mail_user, login_user, internal_user = "dovecot", "dovenull", "dovecot"
        for folder in ("mail", "home"):
            shutil.chown(root / folder, mail_user, mail_user)
    else:
        mail_user = login_user = internal_user = pwd.getpwuid(os.geteuid()).pw_name
    mail_group = grp.getgrgid(pwd.getpwnam(mail_user).pw_gid).gr_name
    account = {"user": "support", "password": "imap-secret", "port": free_port()}
    (root / "users").write_text(f"{account['user']}:{{PLAIN}}{account['password']}\n")
    conf = root / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(
        root=root, port=account["port"], mail_user=mail_user, mail_group=mail_group,
        login_user=login_user, internal_user=internal_user,
    ))
    process = subprocess.Popen([dovecot, "-F", "-c", str(conf)])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", account["port"])) == 0:
                break
        time.sleep(0.2)
    try:
        yield account
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(root, ignore_errors=True)


# -- shared by the browser tests of each role's day ---------------------------


def assert_no_crash(page):
    """No traceback: a refusal, when there is one, is in words."""
    assert not page.locator(".o_error_dialog:has-text('Oops')").count()
    assert not page.locator(".o_error_dialog:has-text('See technical details')").count()
    assert "Traceback" not in page.inner_text("body")


def open_menu(page, odoo_server, item):
    """Helpdesk > Customer Intake > ``item``, through the menus."""
    page.goto(f"{odoo_server}/odoo/intake")
    page.wait_for_selector(".o_menu_sections button:has-text('Customer Intake')", timeout=60000)
    page.click(".o_menu_sections button:has-text('Customer Intake')")
    page.click(f".dropdown-item:text-is('{item}')")
    page.wait_for_selector(f".o_breadcrumb:has-text('{item}')", timeout=60000)
    assert_no_crash(page)


@pytest.fixture
def admin(rpc, odoo_settings):
    """A JSON-RPC session of the administrator."""
    rpc.login(odoo_settings["db"], "admin", "admin")
    return rpc


@pytest.fixture
def bot_api(request):
    """A loopback Bot API server for the bot token of the test module (``TOKEN``)."""
    from odoo.addons.client_autoreg.tests.bot_api_server import BotApiServer

    with BotApiServer(request.module.TOKEN) as server:
        yield server
