#!/usr/bin/env bash
# Static checks, as OCA runs them in its pre-commit configuration:
# - ruff on the whole repository (ruff.toml);
# - pylint with the pylint_odoo plugin on addons/client_autoreg, first with
#   OCA's mandatory checks (.pylintrc-mandatory), then with all of OCA's checks
#   (.pylintrc: mandatory and optional).
# Every step runs; the script exits non-zero when any of them reports
# something. It needs no database and no Odoo server.
#
# Environment:
#   ODOO_VENV   virtualenv with ruff and pylint-odoo (default: <repo>/.venv,
#               set up by scripts/setup.sh from requirements.txt)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODOO_VENV=${ODOO_VENV:-$ROOT/.venv}
ADDON=addons/client_autoreg
cd "$ROOT"

for tool in ruff pylint; do
    if [ ! -x "$ODOO_VENV/bin/$tool" ]; then
        echo "lint.sh: $ODOO_VENV/bin/$tool is missing: run scripts/setup.sh" \
            "(or pip install -r requirements.txt into $ODOO_VENV)" >&2
        exit 2
    fi
done

# The rc files ask for colours; plain text when the output goes to a file.
if [ -t 1 ]; then format=colorized; else format=text; fi

failed=()
step() {  # name command...
    echo "=== $1"
    if "${@:2}"; then
        echo "--- $1: nothing reported"
    else
        echo "--- $1: FAILED (exit $?)"
        failed+=("$1")
    fi
    echo
}

step "ruff check" "$ODOO_VENV/bin/ruff" check .
# load-plugins=pylint_odoo is in both rc files; repeated here so that the
# plugin is loaded even if an rc file loses it.
step "pylint (OCA mandatory checks, .pylintrc-mandatory)" \
    "$ODOO_VENV/bin/pylint" --rcfile=.pylintrc-mandatory --load-plugins=pylint_odoo \
    --output-format="$format" "$ADDON"
step "pylint (all OCA checks, .pylintrc)" \
    "$ODOO_VENV/bin/pylint" --rcfile=.pylintrc --load-plugins=pylint_odoo \
    --output-format="$format" "$ADDON"

if [ ${#failed[@]} -gt 0 ]; then
    printf 'lint.sh: reported by: %s\n' "${failed[@]}"
    exit 1
fi
echo "lint.sh: all checks passed"
