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

    # the Overview opens on today's figures, one card per door
    page.goto(f"{odoo_server}/odoo/action-client_autoreg.autoreg_intake_figure_action")
    page.wait_for_selector(".o_kanban_view .o_kanban_record", timeout=60000)
    assert "Today" in page.inner_text(".o_searchview")
    cards = page.locator(".o_kanban_record:not(.o_kanban_ghost)")
    doors = [cards.nth(index).locator(".o_autoreg_door").inner_text()
             for index in range(cards.count())]
    assert sorted(doors) == ["Email", "Telegram", "Website"]
    email = cards.filter(has=page.locator(".o_autoreg_door", has_text="Email"))
    text = email.inner_text()
    for label in ("Received", "Registered", "Waiting for review", "Spam", "Errors",
                  "Median minutes to assignment"):
        assert label in text
    received_figure = email.locator(".o_autoreg_figure[data-figure=received_count]")
    received = int(received_figure.locator(".o_autoreg_figure_value").inner_text())
    page.screenshot(path=str(odoo_settings["artifacts"] / "dashboard-cards.png"))

    # a figure opens the messages it counts
    received_figure.click()
    page.wait_for_selector(".o_list_view", timeout=60000)
    assert "Email: Received" in page.inner_text(".o_breadcrumb")
    assert page.locator(".o_data_row").count() == received
    page.locator(".o_breadcrumb a", has_text="Customer Intake Overview").click()
    page.wait_for_selector(".o_kanban_view .o_kanban_record", timeout=60000)

    page.click(".o_switch_view.o_graph")
    page.wait_for_selector(".o_graph_renderer canvas", timeout=60000)
    page.wait_for_timeout(1000)  # the bars grow for a moment
    page.screenshot(path=str(odoo_settings["artifacts"] / "dashboard-graph.png"))

    page.click(".o_switch_view.o_pivot")
    page.wait_for_selector(".o_pivot table", timeout=60000)
    pivot = page.inner_text(".o_pivot table")
    assert "Email" in pivot and "Telegram" in pivot and "Website" in pivot
    assert "Received" in pivot and "Median minutes to assignment" in pivot
    page.screenshot(path=str(odoo_settings["artifacts"] / "dashboard-pivot.png"))

    # the messages by channel and day are one menu away
    page.click(".o_menu_sections button:has-text('Customer Intake')")
    page.click(".dropdown-item:has-text('Messages by Day')")
    page.wait_for_selector(".o_graph_renderer canvas", timeout=60000)
    page.click(".o_switch_view.o_pivot")
    page.wait_for_selector(".o_pivot table", timeout=60000)
    pivot = page.inner_text(".o_pivot table")
    assert "Web" in pivot and "Telegram" in pivot  # demo messages by channel
    assert "Spam (%)" in pivot and "Minutes to assignment" in pivot
    page.screenshot(path=str(odoo_settings["artifacts"] / "dashboard-messages-by-day.png"))


def test_settings_lead_to_the_review_queue_in_the_helpdesk_app(page, odoo_server, odoo_settings):
    backend_login(page, odoo_server, "admin", "admin")
    page.goto(f"{odoo_server}/odoo/settings")
    page.locator(".settings_tab .tab", has_text="Helpdesk").click()  # intake sits in Helpdesk
    link = page.get_by_role("link", name="Review queue")
    link.scroll_into_view_if_needed(timeout=60000)
    link.click()
    page.wait_for_selector(".o_list_view", timeout=60000)
    # the list opens in the Helpdesk app, with its menus, not inside Settings
    assert "Helpdesk" in page.inner_text(".o_main_navbar .o_menu_brand")
    assert "To Review" in page.inner_text(".o_breadcrumb")
    page.screenshot(path=str(odoo_settings["artifacts"] / "settings-review-queue.png"))
