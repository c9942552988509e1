#!/usr/bin/env bash
# Prepare everything client_autoreg needs, idempotently: the Odoo 18 source,
# a virtualenv with Odoo's and this project's packages, a running PostgreSQL
# and a database role.  Sourced by run.sh and test.sh.
#
# Settings (environment variables):
#   ODOO_SRC     Odoo 18.0 source tree            (default: /opt/odoo-18.0)
#   ODOO_VENV    virtualenv to create or reuse    (default: <repo>/.venv)
#   PYTHON       interpreter for the virtualenv   (default: python3.11, python3)
#   ODOO_DB_USER PostgreSQL role used by Odoo     (default: odoo)
#   PGHOST/PGPORT                                 (default: 127.0.0.1 / 5432)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-/opt/odoo-18.0}
ODOO_VENV=${ODOO_VENV:-$ROOT/.venv}
ODOO_DB_USER=${ODOO_DB_USER:-odoo}
ODOO_GIT_URL=${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 2; }

is_odoo18() {
    [ -f "$1/odoo-bin" ] && grep -q "^version_info = (18, 0," "$1/odoo/release.py" 2>/dev/null
}

ensure_odoo_source() {
    if is_odoo18 "$ODOO_SRC"; then
        return
    fi
    if [ -e "$ODOO_SRC" ]; then
        die "$ODOO_SRC is not an Odoo 18.0 source tree (no odoo-bin, or another version).
        Point ODOO_SRC to an Odoo 18.0 checkout."
    fi
    say "No Odoo source at $ODOO_SRC: cloning Odoo 18.0 from $ODOO_GIT_URL"
    if ! timeout 20 git ls-remote --heads "$ODOO_GIT_URL" 18.0 >/dev/null 2>&1; then
        die "Odoo 18.0 source not found at $ODOO_SRC and $ODOO_GIT_URL cannot be reached.
        Provide a local Odoo 18.0 source tree: copy or clone it to $ODOO_SRC,
        or set ODOO_SRC=/path/to/odoo-18.0 (the directory holding odoo-bin)."
    fi
    git clone --depth 1 --branch 18.0 "$ODOO_GIT_URL" "$ODOO_SRC"
}

ensure_postgres() {
    if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
        say "PostgreSQL is not answering on $PGHOST:$PGPORT: starting it"
        if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
            for version in /etc/postgresql/*; do
                pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
            done
        fi
        for _ in $(seq 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
        pg_isready -q -h "$PGHOST" -p "$PGPORT" \
            || die "PostgreSQL does not answer on $PGHOST:$PGPORT; start it or set PGHOST/PGPORT."
    fi
    # Odoo refuses to run as the 'postgres' superuser: use a role of its own.
    local admin_user=${PGADMIN_USER:-postgres}
    if ! psql -U "$admin_user" -d postgres -tAc \
        "SELECT 1 FROM pg_roles WHERE rolname = '$ODOO_DB_USER'" | grep -q 1; then
        say "Creating PostgreSQL role $ODOO_DB_USER"
        psql -U "$admin_user" -d postgres -qc "CREATE ROLE \"$ODOO_DB_USER\" LOGIN CREATEDB"
    fi
}

pick_python() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
    for candidate in python3.11 python3.12 python3; do
        if command -v "$candidate" >/dev/null; then echo "$candidate"; return; fi
    done
    die "No python3 found; set PYTHON."
}

ensure_venv() {
    local stamp_file="$ODOO_VENV/.client_autoreg-stamp" stamp
    stamp=$(cat "$ROOT/requirements.txt" "$ODOO_SRC/requirements.txt" "$ROOT/scripts/odoo_requirements.py" \
        | sha256sum | cut -c1-16)-$ODOO_SRC
    if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
        return
    fi
    say "Installing Python packages into $ODOO_VENV"
    [ -x "$ODOO_VENV/bin/python" ] || "$(pick_python)" -m venv "$ODOO_VENV"
    local pip=("$ODOO_VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
    "$ODOO_VENV/bin/python" "$ROOT/scripts/odoo_requirements.py" "$ODOO_SRC/requirements.txt" \
        > "$ODOO_VENV/odoo-requirements.txt"
    "${pip[@]}" -r "$ODOO_VENV/odoo-requirements.txt"
    # 'compat' keeps a plain path entry to the source: OCA wheels install into
    # site-packages/odoo/addons, which must not shadow the real odoo package.
    "${pip[@]}" --no-deps --config-settings editable_mode=compat -e "$ODOO_SRC"
    "${pip[@]}" -r "$ROOT/requirements.txt"
    echo "$stamp" > "$stamp_file"
}

# The addons path: Odoo's own addons, OCA wheels (site-packages/odoo/addons)
# and this repository.
addons_path() {
    local site
    site=$("$ODOO_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$ODOO_SRC/addons,$ODOO_SRC/odoo/addons,$site/odoo/addons,$ROOT/addons"
}

odoo_bin() {
    "$ODOO_VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$ROOT/odoo.conf" \
        --addons-path="$(addons_path)" --db_host="$PGHOST" --db_port="$PGPORT" \
        --db_user="$ODOO_DB_USER" "$@"
}

ensure_odoo_source
ensure_postgres
ensure_venv
