#!/usr/bin/env bash
# Build a fresh test database (helpdesk_mgmt with its demo data, then
# client_autoreg installed on top) and run the whole suite with pytest:
# client_autoreg's addon tests, helpdesk_mgmt's own tests (the host must
# not break) and the end-to-end tests of tests/.
# Extra arguments are passed to pytest.
set -euo pipefail
source "$(dirname "$0")/setup.sh"

DB=${ODOO_TEST_DB:-client_autoreg_test}
export ODOO_TEST_DB=$DB ODOO_SRC ODOO_VENV ODOO_DB_USER
ARTIFACTS=${ARTIFACTS_DIR:-$ROOT/test-artifacts}
mkdir -p "$ARTIFACTS"
export ARTIFACTS_DIR=$ARTIFACTS

for db in "$DB" "${DB}_uninstall"; do
    dropdb -U "$ODOO_DB_USER" --if-exists --force "$db"
done
say "Building test database $DB: helpdesk_mgmt with demo data"
odoo_bin -d "$DB" -i helpdesk_mgmt --stop-after-init --log-level=warn
say "Installing client_autoreg on a database that already has helpdesk data"
odoo_bin -d "$DB" -i client_autoreg --stop-after-init --log-level=warn
# A copy on which tests/test_install.py uninstalls the module.
createdb -U "$ODOO_DB_USER" -T "$DB" "${DB}_uninstall"

CONF="$ODOO_VENV/client_autoreg-test.conf"
{ cat "$ROOT/odoo.conf"
  echo "addons_path = $(addons_path)"
  echo "db_name = $DB"
  echo "db_user = $ODOO_DB_USER"
  echo "db_host = $PGHOST"
  echo "db_port = $PGPORT"
} > "$CONF"
export ODOO_RC=$CONF

SITE=$("$ODOO_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cd "$ROOT"
exec "$ODOO_VENV/bin/python" -m pytest \
    --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
    -p no:cacheprovider -rfEs \
    addons/client_autoreg/tests \
    "$SITE/odoo/addons/helpdesk_mgmt/tests" \
    tests \
    "$@"
