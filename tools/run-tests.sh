#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine as root: installs and
# starts what the tests need (Docker, PostgreSQL's binaries, a virtualenv
# with the project and OpenStack's clients and Heat), builds the local test
# images, brings the all-in-one up (tools/allinone.sh start: Keystone, Heat
# and the engine on 127.0.0.1, for tests/e2e), then runs every suite with
# pytest: unit, functional, end to end. Extra arguments go to pytest.
# The all-in-one is stopped at the end if this run started it; one that was
# already up is left as it was found.
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

# The end-to-end tests need the all-in-one and must fail, not skip, when it
# is not there.
aio_started=
grace=${HC_ALLINONE_GRACE_PERIOD-}
# shellcheck disable=SC2317  # called by the EXIT trap
stop_allinone() {
    if [ -n "$aio_started" ]; then
        log "the all-in-one after the tests (memory), then stopping it"
        bash tools/allinone.sh status || true
        bash tools/allinone.sh stop || true
    fi
}
trap stop_allinone EXIT
if ! bash tools/allinone.sh check >/dev/null 2>&1; then
    aio_started=1
    # As the test engines (tests/support/engine.py TEST_GRACE_PERIOD): the
    # end-to-end capsules ignore SIGTERM, so each delete waits out the
    # whole grace period; 1 s keeps the stop sequence without the 10 s.
    # An all-in-one found running keeps its own configuration.
    grace=${HC_ALLINONE_GRACE_PERIOD-1}
fi
log "the all-in-one for the end-to-end tests (tools/allinone.sh start)"
HEAT_CAPSULE_VENV="$venv" HC_ALLINONE_SKIP_SETUP=1 \
    HC_ALLINONE_GRACE_PERIOD="$grace" bash tools/allinone.sh start
export HEAT_CAPSULE_E2E=1

log "pytest"
set +e
pytest -p no:cacheprovider -o cache_dir=/tmp --durations=30 tests "$@"
rc=$?
set -e
log "finished in $(( $(date +%s) - start ))s with pytest exit code $rc"
if [ "$rc" -eq 5 ]; then
    log "pytest collected no tests: that is a failure"
    exit 1
fi
exit "$rc"
