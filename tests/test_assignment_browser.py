"""The assignee sees a new request at once: pop-up and activity counter,
without reloading the page."""

import uuid
from email.message import EmailMessage

from conftest import backend_login


def _activity_count(page):
    counter = page.locator(".o-mail-ActivityMenu-counter")
    return int(counter.inner_text()) if counter.count() else 0


def test_assignee_sees_the_popup_and_the_activity_without_reload(
    page, rpc, odoo_server, odoo_settings
):
    rpc.login(odoo_settings["db"], "admin", "admin")
    carlos = rpc.call_kw("res.users", "search", [[("login", "=", "carlos")]])["result"]
    team = rpc.call_kw("helpdesk.ticket.team", "search", [[("name", "=", "Customer Care")]])
    # Due today: the activity counts in the systray counter at once.
    rpc.call_kw("helpdesk.ticket.team", "write", [team["result"], {"autoreg_activity_days": 0}])
    # Priya is then the only available member of the demo team.
    rpc.call_kw("res.users", "write", [carlos, {"autoreg_unavailable": True}])
    try:
        backend_login(page, odoo_server, "priya", "priya")
        page.goto(f"{odoo_server}/odoo/intake")
        page.wait_for_selector(".o_list_view")
        before = _activity_count(page)

        tag = uuid.uuid4().hex[:8]
        mail = EmailMessage()
        mail["From"] = "Anita Verma <anita.verma@example.in>"
        mail["To"] = "care@company.example"
        mail["Subject"] = f"Invoice question {tag}"
        mail["Message-Id"] = f"<popup-{tag}@example.in>"
        mail.set_content("Could you resend my last invoice?")
        answer = rpc.call_kw(
            "mail.thread", "message_process", ["helpdesk.ticket", mail.as_string()]
        )
        assert "error" not in answer, answer

        popup = page.locator(".o_notification", has_text=f"Invoice question {tag}")
        popup.first.wait_for(timeout=30000)
        page.wait_for_timeout(1000)
        texts = page.locator(".o_notification").all_inner_texts()
        assert popup.count() == 1, texts
        assert "New request" in popup.inner_text()
        assert "Anita Verma" in popup.inner_text()
        page.wait_for_function(
            "n => (parseInt(document.querySelector('.o-mail-ActivityMenu-counter')"
            "?.textContent || '0')) > n",
            arg=before, timeout=30000,
        )
        assert _activity_count(page) == before + 1
        page.screenshot(path=str(odoo_settings["artifacts"] / "assignment-popup.png"))

        ticket = rpc.call_kw(
            "helpdesk.ticket", "search_read", [[("name", "=", f"Invoice question {tag}")]],
            fields=["user_id", "autoreg_assignment_reason"],
        )["result"][0]
        assert ticket["user_id"][1] == "Priya Sharma"

        # The pop-up stays (Odoo's close other pop-ups after 4 s), opens the
        # request in one click, and then goes away.
        page.wait_for_timeout(5000)
        assert popup.count() == 1
        popup.get_by_role("button", name="Open the request").click()
        page.wait_for_url(f"**/helpdesk.ticket/{ticket['id']}**", timeout=30000)
        title = page.locator(".o_form_view .o_field_widget[name=name] :is(input, textarea)")
        title.wait_for(timeout=30000)
        assert title.input_value() == f"Invoice question {tag}"
        assert popup.count() == 0
        page.screenshot(path=str(odoo_settings["artifacts"] / "assignment-popup-opened.png"))
    finally:
        rpc.call_kw("res.users", "write", [carlos, {"autoreg_unavailable": False}])
