"""A person browses intake in the backend, in a real browser."""

from conftest import backend_login


def test_manager_goes_from_an_inbound_message_to_its_request(page, odoo_server):
    backend_login(page, odoo_server, "admin", "admin")

    page.goto(f"{odoo_server}/odoo/intake")
    row = page.locator(".o_data_row", has_text="Router keeps disconnecting")
    row.wait_for(timeout=60000)
    assert "Registered" in row.inner_text()

    row.click()
    page.wait_for_selector(".o_form_view .o_field_widget[name=sender_email]")
    assert "Anita.Verma@Example.in" in page.inner_text(".o_form_view")

    page.click("button[name=action_open_ticket]")
    page.wait_for_selector(".o_form_view .o_field_widget[name=channel_id]")
    form = page.inner_text(".o_form_view")
    assert "Router keeps disconnecting" in form
    assert "Anita Verma" in form


def test_manager_reads_the_intake_overview(page, odoo_server, odoo_settings):
    backend_login(page, odoo_server, "admin", "admin")

    page.goto(f"{odoo_server}/odoo/action-client_autoreg.autoreg_inbound_action_dashboard")
    page.wait_for_selector(".o_graph_renderer canvas", timeout=60000)
    page.screenshot(path=str(odoo_settings["artifacts"] / "dashboard-graph.png"))

    page.click(".o_switch_view.o_pivot")
    page.wait_for_selector(".o_pivot table", timeout=60000)
    pivot = page.inner_text(".o_pivot table")
    assert "Web" in pivot and "Telegram" in pivot  # demo messages by channel
    assert "Spam (%)" in pivot and "Minutes to assignment" in pivot
    page.screenshot(path=str(odoo_settings["artifacts"] / "dashboard-pivot.png"))
