"""A visitor books a free time on the website, moves it with the link of the
confirmation, then cancels it from the portal (Playwright + Debian's
Chromium; screenshots in test-artifacts/booking-*.png)."""

import time

import pytest

SERVICE = "Air conditioner repair (home visit)"  # demo data: Priya and Carlos


@pytest.fixture
def admin(rpc, odoo_settings):
    rpc.login(odoo_settings["db"], "admin", "admin")
    return rpc


def shot(page, odoo_settings, name):
    page.screenshot(path=str(odoo_settings["artifacts"] / f"booking-{name}.png"), full_page=True)


def booking_of(admin, email):
    [booking] = admin.call_kw(
        "autoreg.booking", "search_read",
        [[("partner_id.email", "=", email), ("state", "=", "booked")]],
        fields=["start", "manage_url", "user_id", "ticket_id", "partner_id"],
    )["result"]
    return booking


def test_visitor_books_moves_and_cancels_from_the_portal(
    page, odoo_server, odoo_settings, admin
):
    run = int(time.time())
    email = f"carmen.{run}@example.es"

    # Free times of the service, in the visitor's time zone
    page.goto(f"{odoo_server}/customer/appointment?tz=Europe/Madrid")
    page.select_option("#autoreg_choice_service", label=SERVICE)
    with page.expect_navigation():
        page.click("button.o_autoreg_show_times")
    assert "Europe/Madrid" in page.inner_text(".o_autoreg_tz")
    slots = page.locator("label.o_autoreg_slot")
    assert slots.count() > 1, "the demo members have free times"
    slots.first.click()
    page.fill("#autoreg_name", "Carmen Vidal")
    page.fill("#autoreg_email", email)
    page.select_option("#autoreg_country_id", label="Spain")
    page.fill("#autoreg_phone", f"612 {run % 1000000:06d}")
    shot(page, odoo_settings, "form")
    with page.expect_navigation():
        page.click("form.o_autoreg_form button[type=submit]")
    main = page.inner_text("main")
    assert "Your appointment:" in main, main
    shot(page, odoo_settings, "booked")

    booking = booking_of(admin, email)
    assert booking["ticket_id"] and booking["user_id"]

    # The confirmation's link: choose another time
    page.goto(f"{booking['manage_url']}/reschedule".replace(
        booking["manage_url"].split("/customer/")[0], odoo_server))
    page.locator("label.o_autoreg_slot").nth(3).click()
    shot(page, odoo_settings, "reschedule")
    with page.expect_navigation():
        page.click("button.o_autoreg_reschedule")
    assert "is moved" in page.inner_text("main")
    shot(page, odoo_settings, "moved")
    moved = booking_of(admin, email)
    assert moved["id"] != booking["id"] and moved["start"] != booking["start"]
    # the old link says it was used
    page.goto(f"{booking['manage_url']}/cancel".replace(
        booking["manage_url"].split("/customer/")[0], odoo_server))
    assert "moved already" in page.inner_text("main")

    # The customer gets a portal account and cancels from there
    admin.call_kw("res.users", "create", [{
        "name": "Carmen Vidal", "login": email, "password": f"carmen-{run}",
        "partner_id": moved["partner_id"][0],
        "groups_id": [(6, 0, [admin.call_kw("ir.model.data", "check_object_reference",
                                             ["base", "group_portal"])["result"][1]])],
    }])
    page.goto(f"{odoo_server}/web/login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", f"carmen-{run}")
    with page.expect_navigation():
        page.click(".oe_login_form button[type=submit]")
    page.goto(f"{odoo_server}/my/appointments")
    assert SERVICE in page.inner_text("main")
    shot(page, odoo_settings, "portal")
    with page.expect_navigation():
        page.click("tr.o_autoreg_my_booking a.text-danger")
    with page.expect_navigation():
        page.click("button.o_autoreg_cancel")
    assert "is cancelled" in page.inner_text("main")
    shot(page, odoo_settings, "cancelled")
    page.goto(f"{odoo_server}/my/appointments")
    assert "no upcoming appointment" in page.inner_text("main")
