#!/usr/bin/env bash
# Debian packages the project needs on its host, then a running Docker
# engine (tools/setup-docker.sh). Idempotent; needs root on Debian 12.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
log() { printf '[setup-host] %s\n' "$*"; }

# shellcheck source=tools/lib/apt.sh
. "$here/lib/apt.sh"

packages=(postgresql busybox-static shellcheck git curl)
# The dashboard's browser tests (tests/e2e/test_dashboard.py): Debian's
# headless-capable chromium and its WebDriver.
packages+=(chromium chromium-driver)
python3 -m venv --help >/dev/null 2>&1 || packages+=(python3-venv)
apt_install_missing "${packages[@]}"
log "Debian packages present"
bash "$here/setup-docker.sh"
