"""A customer chats with the company's bot, end to end.

Telegram is played by a Bot API server on loopback: updates are posted to
the webhook of the running Odoo as Telegram posts them, and what Odoo sends
back through python-telegram-bot lands on that server. The intake and send
jobs are run as an administrator would from Scheduled Actions.
"""

import json
import urllib.error
import urllib.request

from odoo.addons.client_autoreg.tests.bot_api_server import UpdateFactory

TOKEN = "7000009:e2e-secret-bot-token"


def result(answer):
    assert "error" not in answer, answer
    return answer["result"]


def run_job(admin, xmlid):
    module, name = xmlid.split(".")
    [ref] = result(admin.call_kw(
        "ir.model.data", "search_read", [[("module", "=", module), ("name", "=", name)]],
        fields=["res_id"],
    ))
    result(admin.call_kw("ir.cron", "method_direct_trigger", [[ref["res_id"]]]))


def process_and_send(admin):
    run_job(admin, "client_autoreg.ir_cron_autoreg_process_received")
    run_job(admin, "client_autoreg.ir_cron_autoreg_telegram_send")


def post_update(url, update, secret):
    request = urllib.request.Request(
        url, data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json",
                 "X-Telegram-Bot-Api-Secret-Token": secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None


def test_customer_registers_by_phone_and_gets_the_staff_reply(
    admin, bot_api, odoo_server, odoo_settings
):
    bot_id = result(admin.call_kw("autoreg.telegram.bot", "create", [{
        "name": "E2E bot", "token": TOKEN, "api_url": bot_api.url,
    }]))
    [bot] = result(admin.call_kw("autoreg.telegram.bot", "read", [[bot_id]],
                                 fields=["webhook_secret", "webhook_url"]))
    webhook = f"{odoo_server}/customer/telegram/{bot_id}/webhook"
    assert bot["webhook_url"].endswith(f"/customer/telegram/{bot_id}/webhook")
    updates = UpdateFactory(first_update_id=700000)
    rahul = {"id": 5559001, "first_name": "Rahul", "last_name": "Verma", "language_code": "en"}

    # A forged call is refused; Telegram's calls are stored, replays once.
    assert post_update(webhook, updates.text(rahul, "forged"), "guess")[0] == 403
    problem = updates.text(rahul, "My AC makes a loud noise")
    for update in (updates.text(rahul, "/start"), problem, problem):
        assert post_update(webhook, update, bot["webhook_secret"])[0] == 200
    process_and_send(admin)
    greeting, prompt = (call["text"] for call in bot_api.sent())
    assert "Hello!" in greeting and "share your phone number" in prompt

    # Telegram sends the number without "+"; one new number per run
    phone = f"91 9{bot_id:09d}"
    assert post_update(webhook, updates.contact(rahul, phone), bot["webhook_secret"])[0] == 200
    process_and_send(admin)
    [partner] = result(admin.call_kw(
        "res.partner", "search_read", [[("phone_sanitized", "=", f"+919{bot_id:09d}")]],
        fields=["name"]))
    assert partner["name"] == "Rahul Verma"
    [ticket] = result(admin.call_kw(
        "helpdesk.ticket", "search_read", [[("partner_id", "=", partner["id"])]],
        fields=["number", "name", "user_id"]))
    assert ticket["name"] == "My AC makes a loud noise"
    assert ticket["user_id"], "the request was assigned"
    assert any(ticket["number"] in call["text"] for call in bot_api.sent())

    # Staff answer from Odoo; Telegram is down for a while, then back.
    bot_api.calls.clear()
    bot_api.down = True
    result(admin.call_kw("helpdesk.ticket", "message_post", [[ticket["id"]]],
                         body="A technician visits you tomorrow.", message_type="comment",
                         subtype_xmlid="mail.mt_comment"))
    run_job(admin, "client_autoreg.ir_cron_autoreg_telegram_send")
    [pending] = result(admin.call_kw(
        "autoreg.telegram.message", "search_read", [[("ticket_id", "=", ticket["id"]),
                                                     ("state", "!=", "sent")]],
        fields=["state", "error_message"]))
    assert pending["state"] == "error" and "Bad Gateway" in pending["error_message"]

    bot_api.down = False
    result(admin.call_kw("autoreg.telegram.message", "action_retry", [[pending["id"]]]))
    run_job(admin, "client_autoreg.ir_cron_autoreg_telegram_send")
    assert [call["text"] for call in bot_api.sent()] == ["A technician visits you tomorrow."]

    log = (odoo_settings["artifacts"] / "odoo-server.log").read_text()
    assert TOKEN not in log and bot["webhook_secret"] not in log
