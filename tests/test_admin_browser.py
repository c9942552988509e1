"""The administrator's day in a real browser: likely duplicates found and a
pair merged through the list, and a Telegram bot added through the form
whose Bot API is down: *Check connection* and *Poll now* say so in words,
never with a traceback."""

import re
import uuid

from conftest import assert_no_crash, backend_login, open_menu
from odoo_process import free_port

FOUND_PAIRS = re.compile(r"(One|\d+) new pairs? of likely duplicates")


def result(answer):
    assert "error" not in answer, answer
    return answer["result"]


def shot(page, odoo_settings, step):
    page.screenshot(path=str(odoo_settings["artifacts"] / f"admin-{step}.png"), full_page=True)


def refusal(page, expected):
    """The dialog of a refused call: its words, then closed."""
    dialog = page.locator(".o_error_dialog")
    dialog.wait_for(timeout=60000)
    text = dialog.inner_text()
    assert expected in text, text
    assert_no_crash(page)
    return text


def test_administrator_merges_duplicates_and_meets_a_bot_api_that_is_down(
    page, rpc, odoo_server, odoo_settings
):
    rpc.login(odoo_settings["db"], "admin", "admin")
    tag = uuid.uuid4().hex[:8]
    email = f"kavya.{tag}@example.in"
    kept = result(rpc.call_kw("res.partner", "create", [{"name": "Kavya Reddy",
                                                          "email": email}]))
    twin = result(rpc.call_kw("res.partner", "create", [{"name": "Kavya  Reddy",
                                                          "email": email.upper()}]))
    result(rpc.call_kw("helpdesk.ticket", "create", [{
        "name": f"Oven door stuck {tag}", "description": "<p>Stuck.</p>", "partner_id": twin}]))

    backend_login(page, odoo_server, "admin", "admin")

    # Likely duplicates: found on request, merged from the list
    open_menu(page, odoo_server, "Likely Duplicates")
    shot(page, odoo_settings, "1-duplicates")
    page.click("button[name=action_find]")
    notice = page.locator(".o_notification", has_text=FOUND_PAIRS)
    notice.wait_for(timeout=60000)
    row = page.locator(".o_data_row", has_text=email)
    row.wait_for(timeout=60000)
    assert "Kavya Reddy" in row.inner_text()
    shot(page, odoo_settings, "2-duplicates-found")
    row.locator("button[name=action_merge]").click()
    page.locator(".modal-footer button.btn-primary").click()  # the confirmation
    page.locator(".o_data_row", has_text=email).wait_for(state="detached", timeout=60000)
    assert_no_crash(page)
    shot(page, odoo_settings, "3-duplicates-merged")
    left = result(rpc.call_kw("res.partner", "search_read",
                              [[("email", "=ilike", email)]], fields=["id"]))
    assert [partner["id"] for partner in left] == [kept]
    [ticket] = result(rpc.call_kw("helpdesk.ticket", "search_read",
                                  [[("name", "=", f"Oven door stuck {tag}")]],
                                  fields=["partner_id"]))
    assert ticket["partner_id"][0] == kept, "the request moved to the contact kept"

    # A bot whose Bot API does not answer: nothing listens on that port
    open_menu(page, odoo_server, "Telegram Bots")
    page.click(".o_list_button_add")
    page.wait_for_selector(".o_form_view .o_field_widget[name=token]", timeout=60000)
    page.fill(".o_field_widget[name=name] input", f"Bot API down {tag}")
    page.fill(".o_field_widget[name=token] input", "7000034:bot-api-down-token")
    page.fill(".o_field_widget[name=api_url] input", f"http://127.0.0.1:{free_port()}")
    page.locator(".o_field_widget[name=mode] label", has_text="Polling").click()
    page.click(".o_form_button_save")
    page.wait_for_selector(".o_form_saved", timeout=60000)
    shot(page, odoo_settings, "4-bot-added")

    page.click("button[name=action_check_connection]")
    refusal(page, "Telegram could not be reached")
    shot(page, odoo_settings, "5-check-connection-down")
    page.locator(".o_error_dialog button:has-text('Close')").first.click()

    page.click("button[name=action_poll]")
    text = refusal(page, "Telegram could not be reached")
    assert "nothing was changed" in text, text
    assert "7000034:bot-api-down-token" not in text
    shot(page, odoo_settings, "6-poll-down")
    page.locator(".o_error_dialog button:has-text('Close')").first.click()
    assert_no_crash(page)
