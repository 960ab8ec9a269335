#!/usr/bin/env bash
# selenium for the dashboard's browser tests (tests/e2e/test_dashboard.py),
# in a virtualenv of its own under the project's upper-constraints file
# (tools/constraints.py), installed idempotently. Prints the venv's path.
#
# Not in the project's virtualenv: selenium needs trio, and httpcore (which
# dnspython imports for Heat) imports trio whenever it is installed; under
# eventlet that import fails ("GreenSocket has no attribute sendmsg"), so a
# heat-engine in the same environment would no longer start. The test
# reaches this venv's selenium through its site-packages directory; Heat's
# processes never see it.
#   HEAT_CAPSULE_BROWSER_VENV   where the venv lives (default
#                               /opt/heat-capsule/browser-venv)
# Chromium and chromium-driver come from Debian (tools/setup-host.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
venv=${HEAT_CAPSULE_BROWSER_VENV:-/opt/heat-capsule/browser-venv}
python=${PYTHON:-python3}
log() { printf '[setup-browser] %s\n' "$*" >&2; }

constraints=$(mktemp)
trap 'rm -f "$constraints"' EXIT
"$python" "$here/constraints.py" --output "$constraints"
stamp="$venv/.heat-capsule-browser"
wanted="selenium $(sha256sum < "$constraints" | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    log "selenium already installed in $venv"
else
    log "installing selenium into $venv"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/pip" install -q -c "$constraints" selenium >&2
    echo "$wanted" > "$stamp"
fi
echo "$venv"
