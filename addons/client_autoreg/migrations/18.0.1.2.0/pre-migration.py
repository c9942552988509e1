# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.1.2.0: why a message was held and why a request was assigned are kept
as their English source text (JSON), and shown in the reader's language."""

from odoo.tools import SQL
from odoo.tools.sql import column_exists

MOVED = [
    ("autoreg_inbound", "filter_reason", "filter_reason_data"),
    ("helpdesk_ticket", "autoreg_assignment_reason", "autoreg_assignment_reason_data"),
]


def migrate(cr, version):
    if not version:
        return
    # A message without text is now named "(no content)" when shown, in the
    # reader's language, rather than in English in the database.
    cr.execute("UPDATE autoreg_inbound SET name = NULL WHERE name = '(no content)'")
    # A request assigned within the second was recorded as a 0.0 minute wait,
    # which Odoo's domains read as "not assigned": it becomes a tenth of a second.
    cr.execute("UPDATE autoreg_inbound SET assignment_minutes = 1.0 / 600 "
               "WHERE assignment_minutes IS NOT NULL AND assignment_minutes <= 0")
    for table, text_column, json_column in MOVED:
        if not column_exists(cr, table, text_column) or column_exists(cr, table, json_column):
            continue
        # The old texts were stored in English: each becomes a source text,
        # which the reader sees translated when it is one of the module's terms.
        cr.execute(SQL(
            "ALTER TABLE %(table)s ADD COLUMN %(json)s jsonb; "
            "UPDATE %(table)s SET %(json)s = jsonb_build_object('source', %(text)s) "
            " WHERE COALESCE(%(text)s, '') != ''; "
            "ALTER TABLE %(table)s DROP COLUMN %(text)s",
            table=SQL.identifier(table), json=SQL.identifier(json_column),
            text=SQL.identifier(text_column),
        ))
