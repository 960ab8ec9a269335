#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine as root: installs and
# starts what the tests need (Docker, PostgreSQL's binaries, a virtualenv
# with the project and OpenStack's clients and Heat), builds the local test
# images, then runs every suite with pytest. Extra arguments go to pytest.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
start=$(date +%s)
log() { printf '[run-tests] %s\n' "$*"; }

log "host packages and Docker"
bash tools/setup-host.sh
log "virtualenv"
venv=$(bash tools/setup-venv.sh)
export PATH="$venv/bin:$PATH"

log "local images (no registry is needed)"
heat-capsule-images

log "pytest"
set +e
pytest -p no:cacheprovider -o cache_dir=/tmp tests "$@"
rc=$?
set -e
log "finished in $(( $(date +%s) - start ))s with pytest exit code $rc"
if [ "$rc" -eq 5 ]; then
    log "pytest collected no tests: that is a failure"
    exit 1
fi
exit "$rc"
