"""A plain helpdesk agent's day in a real browser: someone who is only
*Helpdesk / User* (no intake rights) opens a request that came by Telegram
and one that came by mail, answers each from the chatter, and the answers
leave: the Telegram one through the bot (a Bot API server on loopback), the
mail one as an email to the customer. No error dialog on the way."""

import json
import random
import urllib.request
import uuid
from email.message import EmailMessage

import pytest
from conftest import backend_login

from odoo.addons.client_autoreg.tests.bot_api_server import UpdateFactory

TOKEN = "7000014:agent-day-bot-token"


def result(answer):
    assert "error" not in answer, answer
    return answer["result"]


def xmlid(rpc, name):
    module, name = name.split(".")
    [ref] = result(rpc.call_kw("ir.model.data", "search_read",
                               [[("module", "=", module), ("name", "=", name)]],
                               fields=["res_id"]))
    return ref["res_id"]


def run_job(rpc, name):
    result(rpc.call_kw("ir.cron", "method_direct_trigger", [[xmlid(rpc, name)]]))


def shot(page, odoo_settings, step):
    page.screenshot(path=str(odoo_settings["artifacts"] / f"agent-{step}.png"), full_page=True)


def assert_no_error(page):
    """Neither an error dialog nor Odoo's access error anywhere on screen."""
    assert not page.locator(".o_error_dialog").count(), page.inner_text("body")[:2000]
    assert "Access Error" not in page.inner_text("body")


@pytest.fixture
def agent(admin):
    """A new colleague who is *Helpdesk / User* and nothing of intake."""
    login = f"agent-{uuid.uuid4().hex[:8]}"
    user_id = result(admin.call_kw("res.users", "create", [{
        "name": "Meera Nair", "login": login, "password": login,
        "groups_id": [(6, 0, [xmlid(admin, "base.group_user"),
                              xmlid(admin, "helpdesk_mgmt.group_helpdesk_user")])],
    }]))
    has_group = result(admin.call_kw(
        "res.users", "read", [[user_id]], fields=["groups_id"]))[0]["groups_id"]
    assert xmlid(admin, "client_autoreg.group_autoreg_user") not in has_group
    return login


def telegram_request(admin, bot_api, odoo_server, subject):
    """A customer writes to the company's bot and shares their number: a
    request with its chat. Returns the request's number."""
    bot_id = result(admin.call_kw("autoreg.telegram.bot", "create", [{
        "name": f"Agent day bot {subject[-8:]}", "token": TOKEN, "api_url": bot_api.url,
    }]))
    [bot] = result(admin.call_kw("autoreg.telegram.bot", "read", [[bot_id]],
                                 fields=["webhook_secret"]))
    customer = {"id": random.randint(10**8, 10**9), "first_name": "Ishaan",
                "last_name": "Kapoor", "language_code": "en"}
    updates = UpdateFactory(first_update_id=random.randint(10**6, 10**7))
    phone = f"91 97{random.randint(0, 10**8 - 1):08d}"
    for update in (updates.text(customer, "/start"), updates.text(customer, subject),
                   updates.contact(customer, phone)):
        request = urllib.request.Request(
            f"{odoo_server}/customer/telegram/{bot_id}/webhook",
            data=json.dumps(update).encode(),
            headers={"Content-Type": "application/json",
                     "X-Telegram-Bot-Api-Secret-Token": bot["webhook_secret"]},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
    run_job(admin, "client_autoreg.ir_cron_autoreg_process_received")
    run_job(admin, "client_autoreg.ir_cron_autoreg_telegram_send")
    [ticket] = result(admin.call_kw(
        "helpdesk.ticket", "search_read", [[("name", "=", subject)]],
        fields=["number", "autoreg_telegram_chat_id"]))
    assert ticket["autoreg_telegram_chat_id"], ticket
    return ticket


def mail_request(admin, subject):
    """A known customer writes to the team's address: a request at once."""
    mail = EmailMessage()
    mail["From"] = "Anita Verma <anita.verma@example.in>"
    mail["To"] = "care@company.example"
    mail["Subject"] = subject
    mail["Message-Id"] = f"<agent-day-{uuid.uuid4().hex}@example.in>"
    mail.set_content("The technician did not come today. Can we fix another day?")
    result(admin.call_kw("mail.thread", "message_process", ["helpdesk.ticket", mail.as_string()]))
    [ticket] = result(admin.call_kw(
        "helpdesk.ticket", "search_read", [[("name", "=", subject)]],
        fields=["number", "partner_id"]))
    assert ticket["partner_id"], ticket
    return ticket


def open_request(page, odoo_server, subject):
    """Helpdesk > Tickets > All Tickets, search, open: as an agent does."""
    page.goto(f"{odoo_server}/odoo")
    page.click(".o_navbar_apps_menu button")
    page.click(".o_app:has-text('Helpdesk')")
    page.wait_for_selector(".o_menu_sections button:has-text('Tickets')", timeout=60000)
    page.click(".o_menu_sections button:has-text('Tickets')")
    page.click(".dropdown-item:has-text('All Tickets')")
    page.wait_for_selector(".o_searchview_input", timeout=60000)
    page.wait_for_selector(".o_kanban_view, .o_list_view", timeout=60000)
    page.fill(".o_searchview_input", subject)
    page.keyboard.press("Enter")
    record = page.locator(".o_kanban_record, .o_data_row", has_text=subject)
    record.first.wait_for(timeout=60000)
    assert_no_error(page)
    record.first.click()
    page.wait_for_selector(".o_form_view .o-mail-Chatter", timeout=60000)
    page.wait_for_selector(f".o_form_view :text('{subject}')", timeout=60000)
    assert_no_error(page)


def field_text(page, name):
    """What a form field shows, whether editable or read-only."""
    field = page.locator(f".o_form_view .o_field_widget[name={name}]")
    editor = field.locator("input")
    return (editor.input_value() if editor.count() else field.inner_text()).strip()


def answer(page, text):
    """Send message (not Log note) from the chatter."""
    page.click(".o-mail-Chatter-sendMessage")
    composer = page.locator(".o-mail-Composer-input")
    composer.wait_for(timeout=30000)
    composer.fill(text)
    page.click(".o-mail-Composer-send:not([disabled])")
    page.locator(".o-mail-Message", has_text=text).wait_for(timeout=60000)
    assert_no_error(page)


def test_agent_answers_a_telegram_and_a_mail_request(
    page, admin, agent, bot_api, odoo_server, odoo_settings
):
    tag = uuid.uuid4().hex[:8]
    telegram = telegram_request(admin, bot_api, odoo_server, f"Washing machine leaks {tag}")
    mail = mail_request(admin, f"Technician did not come {tag}")
    bot_api.calls.clear()

    backend_login(page, odoo_server, agent, agent)
    assert_no_error(page)
    shot(page, odoo_settings, "1-signed-in")

    # The Telegram request: the answer goes back to the customer's chat
    open_request(page, odoo_server, f"Washing machine leaks {tag}")
    shot(page, odoo_settings, "2-telegram-request")
    reply = f"A technician comes tomorrow between 9 and 12. ({tag})"
    answer(page, reply)
    shot(page, odoo_settings, "3-telegram-answered")
    [queued] = result(admin.call_kw(
        "autoreg.telegram.message", "search_read",
        [[("ticket_id", "=", telegram["id"]), ("text", "ilike", tag)]],
        fields=["state", "chat_id"]))
    assert queued["chat_id"][0] == telegram["autoreg_telegram_chat_id"][0]
    run_job(admin, "client_autoreg.ir_cron_autoreg_telegram_send")
    assert [call["text"] for call in bot_api.sent()] == [reply]
    page.reload()
    page.wait_for_selector(".o_form_view .o-mail-Chatter", timeout=60000)
    page.locator(".o-mail-Message", has_text=reply).wait_for(timeout=60000)
    assert_no_error(page)
    shot(page, odoo_settings, "4-telegram-delivered")

    # The mail request: the answer is emailed to the customer
    open_request(page, odoo_server, f"Technician did not come {tag}")
    # the customer as a person reads them, not the raw From header
    assert field_text(page, "partner_email") == "anita.verma@example.in"
    assert field_text(page, "partner_id") == "Anita Verma"
    shot(page, odoo_settings, "5-mail-request")
    reply = f"Sorry about today: Thursday at 10 suits you? ({tag})"
    answer(page, reply)
    shot(page, odoo_settings, "6-mail-answered")
    [message] = result(admin.call_kw(
        "mail.message", "search_read",
        [[("model", "=", "helpdesk.ticket"), ("res_id", "=", mail["id"]),
          ("body", "ilike", tag), ("message_type", "=", "comment")]],
        fields=["subtype_id", "notification_ids"]))
    assert message["subtype_id"][0] == xmlid(admin, "mail.mt_comment"), "a message, not a note"
    notified = result(admin.call_kw(
        "mail.notification", "search_read", [[("id", "in", message["notification_ids"])]],
        fields=["res_partner_id", "notification_type"]))
    assert {
        (n["res_partner_id"][0], n["notification_type"]) for n in notified
    } >= {(mail["partner_id"][0], "email")}, notified
    assert_no_error(page)
