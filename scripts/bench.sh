#!/usr/bin/env bash
# Benchmarks. Builds (once) two databases without demo data, then runs
#   scripts/bench.sh [email] [args]   bench/email_intake.py: email intake against
#                                     stock Odoo + helpdesk_mgmt (--messages N)
#   scripts/bench.sh assignment       bench/assignment.py: one assignment with
#                                     10 / 1,000 / 100,000 open requests
#   scripts/bench.sh telegram [args]  bench/telegram_webhook.py: 5,000+ updates
#                                     posted to the webhook by concurrent clients,
#                                     then to OCA mail_gateway_telegram's (the
#                                     peer, installed from PyPI into
#                                     .venv/bench-peers, its own database)
#   scripts/bench.sh web [args]       bench/web_forms.py: website request forms
#                                     posted by concurrent visitors
#   scripts/bench.sh retention [args] bench/retention.py: the retention job over
#                                     1,000,000 inbound messages (--rows N)
#   scripts/bench.sh mixed [--minutes N]  bench/mixed_load.py: mail, Telegram
#                                     and web at once for N minutes (default
#                                     10), with the accounting of every inbound
#   scripts/bench.sh booking          bench/booking_slots.py: a week of free
#                                     appointment slots for 20 members with
#                                     10 / 1,000 / 10,000 calendar events
#   scripts/bench.sh profile [args]   bench/mail_profile.py: where the queries
#                                     and the time of one mail go, by step
#                                     (--kind known|returning, --intake-off)
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
    booking)
        exec "$ODOO_VENV/bin/python" "$ROOT/bench/booking_slots.py" -c "$CONF" --db "$AUTOREG_DB" ;;
    profile)
        shift
        exec "$ODOO_VENV/bin/python" "$ROOT/bench/mail_profile.py" -c "$CONF" \
            --db "$AUTOREG_DB" "$@" ;;
    web)
        shift
        exec "$ODOO_VENV/bin/python" "$ROOT/bench/web_forms.py" -c "$CONF" \
            --db "$AUTOREG_DB" --odoo-src "$ODOO_SRC" "$@" ;;
    mixed)
        shift
        exec "$ODOO_VENV/bin/python" "$ROOT/bench/mixed_load.py" -c "$CONF" \
            --db "$AUTOREG_DB" --odoo-src "$ODOO_SRC" "$@" ;;
    retention)
        shift
        exec "$ODOO_VENV/bin/python" "$ROOT/bench/retention.py" -c "$CONF" \
            --db "$AUTOREG_DB" "$@" ;;
    telegram)
        shift
        # The stock peer: OCA mail_gateway_telegram 18.0 and what it needs
        # (lottie is a source package: built here without isolation), kept
        # out of the venv's own packages.
        PEERS="$ODOO_VENV/bench-peers"
        PEER_DB=${BENCH_TELEGRAM_PEER_DB:-client_autoreg_bench_telegram_peer}
        if [ ! -d "$PEERS/odoo/addons/mail_gateway_telegram" ]; then
            say "Installing the peer: OCA mail_gateway_telegram 18.0 into $PEERS"
            "$ODOO_VENV/bin/pip" install -q wheel
            "$ODOO_VENV/bin/pip" install -q --no-deps --no-build-isolation --target "$PEERS" \
                "odoo-addon-mail_gateway_telegram>=18.0,<18.1" \
                "odoo-addon-mail_gateway>=18.0,<18.1" lottie cairosvg cairocffi \
                cssselect2 tinycss2 webencodings defusedxml
        fi
        export PYTHONPATH="$PEERS${PYTHONPATH:+:$PYTHONPATH}"
        PEER_CONF="$ODOO_VENV/client_autoreg-bench-peer.conf"
        sed "s#^addons_path = .*#&,$PEERS/odoo/addons#" "$CONF" > "$PEER_CONF"
        if ! database_exists "$PEER_DB"; then
            say "Creating $PEER_DB: OCA mail_gateway_telegram only"
            "$ODOO_VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$PEER_CONF" -d "$PEER_DB" \
                -i mail_gateway_telegram --without-demo=all --stop-after-init --log-level=warn
        fi
        exec "$ODOO_VENV/bin/python" "$ROOT/bench/telegram_webhook.py" -c "$CONF" \
            --db "$AUTOREG_DB" --odoo-src "$ODOO_SRC" \
            --peer-db "$PEER_DB" --peer-config "$PEER_CONF" "$@" ;;
    email)
        shift || true ;;
esac
exec "$ODOO_VENV/bin/python" "$ROOT/bench/email_intake.py" -c "$CONF" \
    --stock-db "$STOCK_DB" --autoreg-db "$AUTOREG_DB" "$@"
