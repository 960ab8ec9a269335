#!/usr/bin/env bash
# Debian packages the project needs on its host, then a running Docker
# engine (tools/setup-docker.sh). Idempotent; needs root on Debian 12.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
log() { printf '[setup-host] %s\n' "$*"; }

packages=(postgresql busybox-static shellcheck git curl)
python3 -m venv --help >/dev/null 2>&1 || packages+=(python3-venv)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | \
        grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    # Debian's postinst scripts must not start services on all interfaces;
    # the project starts what it needs itself, on 127.0.0.1.
    created_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        created_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$created_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
else
    log "packages present"
fi
bash "$here/setup-docker.sh"
