"""An intake manager's day in a real browser: the review queue, the
Overview, the Telegram bot an administrator added (checked, polled and
worded by the manager, its token never shown), and a clear refusal, in
words, where the role stops: no bot of their own, no merge of contacts
whose email addresses differ."""

import random
import re
import uuid

from conftest import assert_no_crash, backend_login, open_menu

from odoo.addons.client_autoreg.tests.bot_api_server import UpdateFactory

TOKEN = "7000024:intake-manager-bot-token"


def result(answer):
    assert "error" not in answer, answer
    return answer["result"]


def shot(page, odoo_settings, step):
    page.screenshot(path=str(odoo_settings["artifacts"] / f"intake-manager-{step}.png"),
                    full_page=True)


def notification(page, text):
    notice = page.locator(".o_notification", has_text=text)
    notice.wait_for(timeout=60000)
    return notice.inner_text()


def test_intake_manager_day(page, admin, bot_api, odoo_server, odoo_settings):
    tag = uuid.uuid4().hex[:8]
    # The administrator added the bot (the token is theirs); it polls.
    bot_name = f"Polling bot {tag}"
    bot_id = result(admin.call_kw("autoreg.telegram.bot", "create", [{
        "name": bot_name, "token": TOKEN, "api_url": bot_api.url, "mode": "polling",
    }]))
    update_id = random.randint(10**7, 10**8)
    bot_api.updates.append(UpdateFactory(first_update_id=update_id).text(
        {"id": random.randint(10**8, 10**9), "first_name": "Zoya", "language_code": "en"},
        f"Is the shop open on Sunday? {tag}"))
    # Two contacts with one phone number but two email addresses
    phone = f"+91 96{random.randint(0, 10**8 - 1):08d}"
    for email in (f"rohan.{tag}@example.in", f"r.das.{tag}@work.example"):
        result(admin.call_kw("res.partner", "create", [{
            "name": "Rohan Das", "email": email, "phone": phone}]))

    backend_login(page, odoo_server, "carlos", "carlos")

    # The review queue
    open_menu(page, odoo_server, "To Review")
    page.wait_for_selector(".o_list_view .o_data_row", timeout=60000)
    shot(page, odoo_settings, "1-review-queue")

    # The Overview: one card per door
    open_menu(page, odoo_server, "Overview")
    page.wait_for_selector(".o_kanban_view .o_kanban_record .o_autoreg_door", timeout=60000)
    doors = page.locator(".o_kanban_record .o_autoreg_door").all_inner_texts()
    assert sorted(doors) == ["Email", "Telegram", "Website"], doors
    shot(page, odoo_settings, "2-overview")

    # Telegram bots: no bot of their own, no token in sight
    open_menu(page, odoo_server, "Telegram Bots")
    assert not page.locator(".o_list_button_add").count(), "only administrators add bots"
    page.locator(".o_data_row", has_text=bot_name).click()
    page.wait_for_selector(".o_form_view button[name=action_poll]", timeout=60000)
    for secret in ("token", "api_url", "webhook_secret"):
        assert not page.locator(f".o_field_widget[name={secret}]").count(), secret
    assert not page.locator(".o_form_button_create").count()
    assert not page.locator("button[name=action_set_webhook]").count()
    shot(page, odoo_settings, "3-bot")

    page.click("button[name=action_check_connection]")
    assert "Connected to @autoreg_test_bot" in notification(page, "Connected")
    # the form reloads and shows the name Telegram gave the bot
    page.wait_for_selector(".o_field_widget[name=username]:has-text('autoreg_test_bot')",
                           timeout=60000)
    page.click("button[name=action_poll]")
    assert "One new message from Telegram" in notification(page, "new message")
    page.wait_for_selector(f".o_field_widget[name=last_update_id]:has-text('{update_id:,}')",
                           timeout=60000)
    assert_no_crash(page)
    shot(page, odoo_settings, "4-bot-polled")
    [stored] = result(admin.call_kw(
        "autoreg.inbound", "search_read",
        [[("door", "=", "telegram"), ("idempotency_key", "like", f"{bot_id}:{update_id}")]],
        fields=["state"]))
    assert stored["state"] != "error", stored

    # What the bot says is theirs to word
    greeting = f"Namaste! Welcome to our service desk. ({tag})"
    page.fill(".o_field_widget[name=greeting] textarea", greeting)
    page.click(".o_form_button_save")
    page.wait_for_selector(".o_form_saved", timeout=60000)
    assert_no_crash(page)
    [bot] = result(admin.call_kw("autoreg.telegram.bot", "read", [[bot_id]],
                                 fields=["greeting"]))
    assert bot["greeting"] == greeting
    shot(page, odoo_settings, "5-bot-worded")

    # Likely duplicates: found, but two addresses are the administrator's call
    open_menu(page, odoo_server, "Likely Duplicates")
    page.click("button[name=action_find]")
    notification(page, re.compile(r"(One|\d+) new pairs? of likely duplicates"))
    row = page.locator(".o_data_row", has_text=phone.replace(" ", ""))
    row.wait_for(timeout=60000)
    row.locator("button[name=action_merge]").click()
    page.locator(".modal-footer button.btn-primary").click()  # the confirmation
    dialog = page.locator(".o_error_dialog")
    dialog.wait_for(timeout=60000)
    text = dialog.inner_text()
    assert "only an administrator can merge" in text, text
    assert_no_crash(page)
    shot(page, odoo_settings, "6-merge-refused")
    dialog.locator("button:has-text('Close')").first.click()
    assert result(admin.call_kw("res.partner", "search_count", [[("phone", "=", phone)]])) == 2
