#!/usr/bin/env bash
# Create (or update) the project's virtualenv and install the project, its
# test dependencies and the OpenStack pieces into it, under OpenStack's
# upper-constraints (constraints/, edited by tools/constraints.py) as
# devstack and the gate install. Prints the venv path.
#   HEAT_CAPSULE_VENV   where the venv lives (default /opt/heat-capsule/venv)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${HEAT_CAPSULE_VENV:-/opt/heat-capsule/venv}
python=${PYTHON:-python3}

log() { printf '[setup-venv] %s\n' "$*" >&2; }

if [ ! -x "$venv/bin/python" ]; then
    log "creating $venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip >&2
fi

# The constraints file pip installs with, kept in the venv.
constraints="$venv/upper-constraints.txt"
"$python" "$repo/tools/constraints.py" --output "$constraints"

stamp="$venv/.heat-capsule-requirements"
wanted=$(cat "$repo/requirements.txt" "$repo/test-requirements.txt" \
    "$repo/tools/extra-requirements.txt" "$constraints" 2>/dev/null \
    | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    log "installing requirements (a few minutes on a fresh machine)"
    extra=()
    [ -f "$repo/tools/extra-requirements.txt" ] && \
        extra=(-r "$repo/tools/extra-requirements.txt")
    "$venv/bin/pip" install -q -c "$constraints" \
        -r "$repo/requirements.txt" -r "$repo/test-requirements.txt" \
        "${extra[@]}" >&2
    echo "$wanted" > "$stamp"
else
    log "requirements already installed"
fi
# The editable install only changes with the checkout's place or its
# packaging metadata; skip it (about 7 s) when neither changed.
installed="$venv/.heat-capsule-source"
source_id="$repo $(cat "$repo/setup.cfg" "$repo/pyproject.toml" | sha256sum \
    | cut -c1-16)"
if [ ! -f "$installed" ] || [ "$(cat "$installed")" != "$source_id" ] || \
        ! (cd / && "$venv/bin/python" -c 'import heat_capsule') 2>/dev/null
then
    log "installing heat-capsule from $repo"
    "$venv/bin/pip" install -q --no-deps -e "$repo" >&2
    echo "$source_id" > "$installed"
else
    log "heat-capsule already installed from $repo"
fi
echo "$venv"
