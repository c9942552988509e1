"""client_autoreg leaves a database with helpdesk data as it found it."""

import os
import subprocess

import psycopg2
import pytest
from conftest import odoo_command

UNINSTALL = """
module = env["ir.module.module"].search([("name", "=", "client_autoreg")])
module.button_immediate_uninstall()
env.cr.commit()
"""


def _query(db, sql):
    user = os.environ.get("ODOO_DB_USER", "odoo")
    with psycopg2.connect(dbname=db, host="127.0.0.1", user=user) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()


def _module_state(db, name):
    return _query(db, f"SELECT state FROM ir_module_module WHERE name = '{name}'")[0][0]


@pytest.fixture
def uninstall_db(odoo_settings):
    return f"{odoo_settings['db']}_uninstall"


def test_uninstall_keeps_helpdesk_data_and_removes_ours(odoo_settings, uninstall_db):
    tickets_before = _query(uninstall_db, "SELECT count(*) FROM helpdesk_ticket")[0][0]
    assert _query(uninstall_db, "SELECT count(*) FROM autoreg_inbound")[0][0] > 0

    subprocess.run(
        odoo_command(
            odoo_settings, "-d", uninstall_db, "--no-http", "--log-level=warn",
            subcommand="shell",
        ),
        input=UNINSTALL, text=True, check=True, timeout=600,
    )

    assert _module_state(uninstall_db, "client_autoreg") == "uninstalled"
    assert _query(uninstall_db, "SELECT to_regclass('autoreg_inbound')") == [(None,)]
    columns = _query(
        uninstall_db,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'helpdesk_ticket_channel' AND column_name LIKE 'autoreg%'",
    )
    assert columns == []
    tickets_after = _query(uninstall_db, "SELECT count(*) FROM helpdesk_ticket")[0][0]
    assert tickets_after == tickets_before
    assert _module_state(uninstall_db, "helpdesk_mgmt") == "installed"

    subprocess.run(
        odoo_command(odoo_settings, "-d", uninstall_db, "-i", "client_autoreg",
                     "--stop-after-init", "--no-http", "--log-level=warn"),
        check=True, timeout=600,
    )
    assert _module_state(uninstall_db, "client_autoreg") == "installed"
