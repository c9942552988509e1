"""The reviewer's day in a real browser: held mail is read with its links
disarmed, approved or rejected from the form, and each decision is
confirmed on screen; a colleague who may not review sees no review button."""

import uuid
from email.message import EmailMessage

from conftest import backend_login

PHISHING = (
    '<p>You won! <a href="https://lottery.example/claim">Claim your prize</a> today.</p>'
)


def _hold(rpc, sender, subject, html=None):
    """Mail from a sender nobody knows reaches the team's alias: it is held
    for review. Returns the inbound message as read by RPC."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "care@company.example"
    mail["Subject"] = subject
    mail["Message-Id"] = f"<review-{uuid.uuid4().hex}@example.org>"
    if html:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content("Could you send us a quote?")
    answer = rpc.call_kw("mail.thread", "message_process", ["helpdesk.ticket", mail.as_string()])
    assert "error" not in answer, answer
    [inbound] = rpc.call_kw(
        "autoreg.inbound", "search_read", [[("subject", "=", subject)]],
        fields=["state", "filter_reason"],
    )["result"]
    assert inbound["state"] == "review", inbound
    return inbound


def _state(rpc, inbound):
    return rpc.call_kw(
        "autoreg.inbound", "read", [[inbound["id"]]],
        fields=["state", "filter_reason", "ticket_id"],
    )["result"][0]


def _open_to_review(page, url):
    """Customer Intake > To Review, through the menu."""
    page.goto(f"{url}/odoo/intake")
    page.wait_for_selector(".o_list_view", timeout=60000)
    page.click(".o_menu_sections button:has-text('Customer Intake')")
    page.click(".dropdown-item:has-text('To Review')")
    page.wait_for_selector(".o_breadcrumb:has-text('To Review')", timeout=60000)


def _open_row(page, subject):
    row = page.locator(".o_data_row", has_text=subject)
    row.wait_for(timeout=60000)
    row.click()
    page.wait_for_selector(".o_form_view .o_field_widget[name=sender_email]", timeout=60000)


def _dismiss_notifications(page):
    """Close the pop-ups, which cover the status bar."""
    page.mouse.move(0, 500)
    page.evaluate("document.querySelectorAll('.o_notification_close').forEach(b => b.click())")
    page.wait_for_function("() => !document.querySelector('.o_notification')", timeout=30000)


def _current_state(page):
    return page.locator(".o_statusbar_status .o_arrow_button_current").inner_text().strip()


def test_reviewer_approves_one_sender_and_rejects_another(page, rpc, odoo_server, odoo_settings):
    rpc.login(odoo_settings["db"], "admin", "admin")
    tag = uuid.uuid4().hex[:8]
    quote = _hold(rpc, f"Meena Pillai <meena.{tag}@coldchain.example>",
                  f"Quote for a cold room {tag}")
    prize = _hold(rpc, f"Lottery <prizes.{tag}@lottery.example>",
                  f"You won a prize {tag}", html=PHISHING)

    backend_login(page, odoo_server, "carlos", "carlos")
    _open_to_review(page, odoo_server)

    # Approve: the request is registered, and the reviewer is told so
    _open_row(page, f"Quote for a cold room {tag}")
    page.locator(".alert-warning", has_text="Unknown sender").wait_for(timeout=30000)
    assert "Registered" in page.inner_text(".o_statusbar_status")
    page.click("button[name=action_approve_sender]")
    notice = page.locator(".o_notification", has_text="Approved")
    notice.wait_for(timeout=60000)
    assert f"meena.{tag}@coldchain.example" in notice.inner_text()
    page.screenshot(path=str(odoo_settings["artifacts"] / "reviewer-approved-notice.png"))
    page.wait_for_function(
        "() => document.querySelector('.o_statusbar_status .o_arrow_button_current')"
        "?.textContent.includes('Registered')", timeout=60000,
    )
    assert not page.locator("button[name=action_approve_sender]").count()
    assert not page.locator(".alert-warning", has_text="Unknown sender").count()
    assert page.locator("button[name=action_open_ticket]").is_visible()
    approved = _state(rpc, quote)
    assert approved["state"] == "done" and approved["ticket_id"], approved
    assert approved["ticket_id"][1].split()[0] in notice.inner_text()
    _dismiss_notifications(page)
    page.screenshot(path=str(odoo_settings["artifacts"] / "reviewer-approved.png"))

    # Reject: the prize mail is read without a link to follow, then filed as spam
    page.locator(".o_breadcrumb a", has_text="To Review").click()
    _open_row(page, f"You won a prize {tag}")
    body = page.locator(".o_field_widget[name=body_display]")
    assert "Claim your prize [https://lottery.example/claim]" in body.inner_text()
    assert body.locator("a").count() == 0
    assert not page.locator(".o_field_widget[name=body]").count()
    page.click("button[name=action_reject_spam]")
    page.locator(".modal-footer button.btn-primary").click()  # "Block this sender?"
    notice = page.locator(".o_notification", has_text="Rejected")
    notice.wait_for(timeout=60000)
    assert f"prizes.{tag}@lottery.example" in notice.inner_text()
    page.screenshot(path=str(odoo_settings["artifacts"] / "reviewer-rejected-notice.png"))
    page.wait_for_function(
        "() => document.querySelector('.o_statusbar_status .o_arrow_button_current')"
        "?.textContent.includes('Spam')", timeout=60000,
    )
    statusbar = page.inner_text(".o_statusbar_status")
    assert "Registered" not in statusbar and "To Review" in statusbar, statusbar
    assert not page.locator("button[name=action_reject_spam]").count()
    _dismiss_notifications(page)
    page.screenshot(path=str(odoo_settings["artifacts"] / "reviewer-rejected.png"))
    assert _state(rpc, prize)["state"] == "spam"


def test_colleague_reads_held_mail_without_review_buttons(page, rpc, odoo_server, odoo_settings):
    rpc.login(odoo_settings["db"], "admin", "admin")
    tag = uuid.uuid4().hex[:8]
    _hold(rpc, f"Omar <omar.{tag}@gmail.com>", f"Warranty question {tag}")

    backend_login(page, odoo_server, "priya", "priya")  # an intake user, not the reviewer
    _open_to_review(page, odoo_server)
    _open_row(page, f"Warranty question {tag}")
    assert _current_state(page) == "To Review"
    for button in ("action_approve_sender", "action_approve_domain", "action_reject_spam"):
        assert not page.locator(f"button[name={button}]").count(), button
    page.screenshot(path=str(odoo_settings["artifacts"] / "reviewer-colleague.png"))

    # the reviewer, on a gmail.com sender, may approve the address but not the domain
    page.context.clear_cookies()
    backend_login(page, odoo_server, "carlos", "carlos")
    _open_to_review(page, odoo_server)
    _open_row(page, f"Warranty question {tag}")
    assert page.locator("button[name=action_approve_sender]").is_visible()
    assert not page.locator("button[name=action_approve_domain]").count()
