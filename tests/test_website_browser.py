"""A visitor uses the website forms in a real browser, then follows the
request in their portal account (Playwright + Debian's Chromium)."""

import html
import re
import time

import pytest

NUMBER = re.compile(r"We received your request\s+(\S+?)\.")


@pytest.fixture
def admin(rpc, odoo_settings):
    rpc.login(odoo_settings["db"], "admin", "admin")
    return rpc


def shot(page, odoo_settings, name):
    page.screenshot(path=str(odoo_settings["artifacts"] / f"website-{name}.png"), full_page=True)


def submit(page):
    with page.expect_navigation():
        page.click("form.o_autoreg_form button[type=submit]")


def fill_contact(page, name, email, phone):
    page.fill("#autoreg_name", name)
    page.fill("#autoreg_email", email)
    page.select_option("#autoreg_country_id", label="India")
    page.fill("#autoreg_phone", phone)


def test_visitor_registers_requests_books_and_follows_it_in_the_portal(
    page, odoo_server, odoo_settings, admin
):
    run = int(time.time())
    email = f"meena.{run}@example.in"

    page.goto(f"{odoo_server}/customer/register")
    assert page.locator("a[href='/customer/register']").count(), "in the website menu"
    assert not page.is_checked("#autoreg_newsletter"), "consent is never pre-ticked"
    fill_contact(page, "Meena Krishnan", email, f"098450 {run % 100000:05d}")
    page.check("#autoreg_newsletter")
    shot(page, odoo_settings, "register-form")
    submit(page)
    assert "You are registered" in page.inner_text("main")
    shot(page, odoo_settings, "register-done")

    # The new customer asks for an account; the invitation goes by email
    with page.expect_navigation():
        page.click("text=Invite me")
    assert "We sent an email to the address you gave" in page.inner_text("main")

    # The invitation arrives by email; the link lets them choose a password.
    # (What a visitor types is a claim: only the invitation, which reaches
    # the owner of the address, opens the account.)
    [invitation] = admin.call_kw(
        "mail.mail", "search_read", [[("email_to", "ilike", email),
                                      ("body_html", "ilike", "/web/signup")]],
        fields=["body_html"])["result"]
    link = html.unescape(re.search(r'href="([^"]*/web/signup[^"]*)"',
                                   invitation["body_html"]).group(1))
    page.goto(link.replace(link.split("/web/")[0], odoo_server))
    page.fill("input[name=password]", "meena-portal-1")
    page.fill("input[name=confirm_password]", "meena-portal-1")
    with page.expect_navigation():
        page.click("form.oe_signup_form button[type=submit]")

    # Signed in, the customer does not retype who they are.
    page.goto(f"{odoo_server}/customer/request")
    assert not page.locator("#autoreg_email").count()
    page.fill("#autoreg_subject", "Fridge door seal is torn")
    page.fill("#autoreg_description", "The seal came off last week; photo attached.")
    page.set_input_files("#autoreg_attachments", files=[
        {"name": "seal.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n seal"}])
    shot(page, odoo_settings, "request-form")
    submit(page)
    request_number = NUMBER.search(page.inner_text("main")).group(1)
    shot(page, odoo_settings, "request-done")

    page.goto(f"{odoo_server}/customer/appointment")
    page.select_option("#autoreg_choice_service", label="New installation")
    with page.expect_navigation():
        page.click("button.o_autoreg_show_times")
    page.locator("label.o_autoreg_slot").first.click()  # the first free time
    shot(page, odoo_settings, "appointment-form")
    submit(page)
    appointment_number = NUMBER.search(page.inner_text("main")).group(1)
    shot(page, odoo_settings, "appointment-done")

    # One contact behind the three forms, its address proven by the invitation
    partners = admin.call_kw("res.partner", "search_read", [[("email", "=", email)]],
                             fields=["name"])["result"]
    assert len(partners) == 1

    page.goto(f"{odoo_server}/my/tickets")
    tickets = page.inner_text("main")
    assert request_number in tickets and appointment_number in tickets
    shot(page, odoo_settings, "portal-tickets")
