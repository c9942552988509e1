"""The backend of a running Odoo shows intake as staff use it."""


def test_manager_browses_inbound_messages_and_their_requests(rpc, odoo_settings):
    rpc.login(odoo_settings["db"], "admin", "admin")

    action = rpc.call("/web/action/load", action_id="client_autoreg.autoreg_inbound_action")
    assert action["result"]["res_model"] == "autoreg.inbound"

    answer = rpc.call_kw(
        # a registration (the website's Register form) makes a contact, no request
        "autoreg.inbound", "search_read",
        [[("state", "=", "done"), ("web_form", "!=", "register")]],
        fields=["name", "channel_id", "partner_id", "ticket_id"],
    )
    inbound = answer["result"]
    names = {record["name"] for record in inbound}
    assert "Router keeps disconnecting" in names  # demo data, processed at install
    assert all(record["ticket_id"] and record["partner_id"] for record in inbound)

    ticket_ids = [record["ticket_id"][0] for record in inbound]
    tickets = rpc.call_kw(
        "helpdesk.ticket", "read", [ticket_ids], fields=["channel_id", "autoreg_inbound_count"]
    )["result"]
    assert all(ticket["autoreg_inbound_count"] >= 1 for ticket in tickets)


def test_intake_user_reads_but_cannot_retry(rpc, odoo_settings):
    rpc.login(odoo_settings["db"], "priya", "priya")

    inbound = rpc.call_kw("autoreg.inbound", "search_read", [[]], fields=["state"], limit=5)
    assert inbound["result"], "the demo messages are visible to an intake user"

    refused = rpc.call_kw("autoreg.inbound", "action_retry", [[inbound["result"][0]["id"]]])
    assert refused["error"]["data"]["name"] == "odoo.exceptions.AccessError"
