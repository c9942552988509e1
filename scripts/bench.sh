#!/usr/bin/env bash
# Benchmarks. Builds (once) two databases without demo data, then runs
#   scripts/bench.sh [email] [args]   bench/email_intake.py: email intake against
#                                     stock Odoo + helpdesk_mgmt (--messages N)
#   scripts/bench.sh assignment       bench/assignment.py: one assignment with
#                                     10 / 1,000 / 100,000 open requests
#   scripts/bench.sh telegram [args]  bench/telegram_webhook.py: 5,000+ updates
#                                     posted to the webhook by concurrent clients
#   scripts/bench.sh web [args]       bench/web_forms.py: website request forms
#                                     posted by concurrent visitors
set -euo pipefail
source "$(dirname "$0")/setup.sh"

STOCK_DB=${BENCH_STOCK_DB:-client_autoreg_bench_stock}
AUTOREG_DB=${BENCH_AUTOREG_DB:-client_autoreg_bench}
database_exists() {
    psql -U "$ODOO_DB_USER" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1
}
if ! database_exists "$STOCK_DB"; then
    say "Creating $STOCK_DB: helpdesk_mgmt only"
    odoo_bin -d "$STOCK_DB" -i helpdesk_mgmt --without-demo=all --stop-after-init --log-level=warn
fi
if ! database_exists "$AUTOREG_DB"; then
    say "Creating $AUTOREG_DB: helpdesk_mgmt and client_autoreg"
    odoo_bin -d "$AUTOREG_DB" -i helpdesk_mgmt,client_autoreg --without-demo=all --stop-after-init --log-level=warn
else
    odoo_bin -d "$AUTOREG_DB" -u client_autoreg --stop-after-init --log-level=warn
fi
CONF="$ODOO_VENV/client_autoreg-bench.conf"
{ grep -vE '^(addons_path|db_user|db_host|db_port) *=' "$ROOT/odoo.conf"
  echo "addons_path = $(addons_path)"
  echo "db_user = $ODOO_DB_USER"
  echo "db_host = $PGHOST"
  echo "db_port = $PGPORT"
} > "$CONF"
case "${1:-email}" in
    assignment)
        exec "$ODOO_VENV/bin/python" "$ROOT/bench/assignment.py" -c "$CONF" --db "$AUTOREG_DB" ;;
    web)
        shift
        exec "$ODOO_VENV/bin/python" "$ROOT/bench/web_forms.py" -c "$CONF" \
            --db "$AUTOREG_DB" --odoo-src "$ODOO_SRC" "$@" ;;
    telegram)
        shift
        exec "$ODOO_VENV/bin/python" "$ROOT/bench/telegram_webhook.py" -c "$CONF" \
            --db "$AUTOREG_DB" --odoo-src "$ODOO_SRC" "$@" ;;
    email)
        shift || true ;;
esac
exec "$ODOO_VENV/bin/python" "$ROOT/bench/email_intake.py" -c "$CONF" \
    --stock-db "$STOCK_DB" --autoreg-db "$AUTOREG_DB" "$@"
