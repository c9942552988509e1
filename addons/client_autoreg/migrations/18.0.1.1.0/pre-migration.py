# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.1.1.0: each inbound message says which door it came through; one
unknown-sender policy (the team's); "untrusted" is now "unverified"."""


def _column_exists(cr, table, column):
    cr.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        (table, column),
    )
    return bool(cr.fetchone())


def migrate(cr, version):
    if not version:
        return
    if _column_exists(cr, "autoreg_inbound", "sender_untrusted"):
        cr.execute(
            "ALTER TABLE autoreg_inbound RENAME COLUMN sender_untrusted TO sender_unverified"
        )
    if not _column_exists(cr, "autoreg_inbound", "door"):
        cr.execute("ALTER TABLE autoreg_inbound ADD COLUMN door varchar")
        cr.execute(
            """
            UPDATE autoreg_inbound
               SET door = CASE WHEN telegram_bot_id IS NOT NULL THEN 'telegram'
                               WHEN web_form IS NOT NULL THEN 'website'
                               ELSE 'mail' END
            """
        )
    cr.execute(
        "UPDATE helpdesk_ticket_team SET autoreg_unknown_policy = 'register' "
        "WHERE autoreg_unknown_policy = 'accept'"
    )
