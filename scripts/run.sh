#!/usr/bin/env bash
# Set up and serve Odoo with client_autoreg and its demo data on
# http://localhost:8069 (database: $ODOO_DB, default client_autoreg).
set -euo pipefail
source "$(dirname "$0")/setup.sh"

DB=${ODOO_DB:-client_autoreg}
PORT=${ODOO_HTTP_PORT:-8069}

if ! psql -U "$ODOO_DB_USER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    say "Creating database $DB with client_autoreg and demo data, in English, Hindi and Spanish"
    odoo_bin -d "$DB" -i client_autoreg --stop-after-init --log-level=warn
    # Hindi and Spanish with their translations, offered by the website
    # (/hi/..., /es/...) beside English, which stays the default.
    "$ODOO_VENV/bin/python" "$ODOO_SRC/odoo-bin" shell -c "$ROOT/odoo.conf" \
        --addons-path="$(addons_path)" --db_host="$PGHOST" --db_port="$PGPORT" \
        --db_user="$ODOO_DB_USER" -d "$DB" --log-level=warn >/dev/null <<'PY'
codes = ["hi_IN", "es_ES"]
for code in codes:
    env["res.lang"]._activate_lang(code)
env["ir.module.module"].search([("state", "=", "installed")])._update_translations(codes)
env["website"].search([]).language_ids |= env["res.lang"].search([])
env.cr.commit()
PY
else
    say "Updating client_autoreg in database $DB"
    odoo_bin -d "$DB" -u client_autoreg --stop-after-init --log-level=warn
fi

cat <<MSG
[run] Odoo is starting on http://localhost:$PORT (database $DB)
[run] Log in as admin / admin (intake manager); demo employees: priya / priya, carlos / carlos
[run] Inbound messages: Helpdesk > Intake > Inbound Messages. Stop with Ctrl+C.
MSG
exec "$ODOO_VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ROOT/odoo.conf" \
    --addons-path="$(addons_path)" --db_host="$PGHOST" --db_port="$PGPORT" \
    --db_user="$ODOO_DB_USER" -d "$DB" --db-filter="^$DB\$" --http-port="$PORT"
