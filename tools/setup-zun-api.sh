#!/usr/bin/env bash
# What the contract test against a real zun-api needs (issue 20,
# tests/contract/test_real_zun_api.py), installed idempotently on Debian 12
# as root:
#   * MariaDB's server binaries from Debian (apt, tools/lib/apt.sh). The
#     system service is not started: the test starts its own mariadbd on
#     127.0.0.1 with a private datadir and port. (Zun's migrations fail on
#     PostgreSQL, docs/zun-contract-test.md.)
#   * zun 18.0.0 from PyPI with PyMySQL in its own virtualenv, under the
#     project's upper-constraints file (tools/constraints.py), so it never
#     touches the project's venv.
# Prints the zun venv's path.
#   HEAT_CAPSULE_ZUN_VENV   where the venv lives (default
#                           /opt/heat-capsule/zun-venv)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
venv=${HEAT_CAPSULE_ZUN_VENV:-/opt/heat-capsule/zun-venv}
python=${PYTHON:-python3}
zun_version=18.0.0
log() { printf '[setup-zun-api] %s\n' "$*" >&2; }

# shellcheck source=tools/lib/apt.sh
. "$here/lib/apt.sh"
apt_install_missing mariadb-server >&2
log "MariaDB's server present (its system service is left stopped)"

constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
"$python" "$here/constraints.py" --output "$constraints"
stamp="$venv/.heat-capsule-zun"
wanted="zun==$zun_version $(sha256sum < "$constraints" | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && \
        [ -x "$venv/bin/zun-api" ]; then
    log "zun $zun_version already installed in $venv"
else
    log "installing zun $zun_version into $venv (about a minute)"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/pip" install -q -c "$constraints" "zun==$zun_version" \
        PyMySQL >&2
    echo "$wanted" > "$stamp"
fi
echo "$venv"
