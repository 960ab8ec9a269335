#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine as root: installs and
# starts what the tests need (Docker, PostgreSQL's binaries, a virtualenv
# with the project and OpenStack's clients and Heat), builds the local test
# images, brings the all-in-one up (tools/allinone.sh start: Keystone, Heat
# and the engine on 127.0.0.1, for tests/e2e), installs zun-api 18.0.0 and
# MariaDB for the contract test (tools/setup-zun-api.sh, tests/contract),
# then runs every suite with pytest: unit, functional, contract, end to
# end, in parallel (pytest-xdist) but for the tests marked serial, then
# tempest (tools/run-tempest.sh) when no arguments are given.
# Extra arguments go to pytest (tools/run-pytest.sh: both sessions);
# HC_TEST_WORKERS sets the number of pytest-xdist workers (3).
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

# The contract test's zun-api (MariaDB from Debian, zun in its own venv:
# about a minute on a fresh machine) installs while the images build and
# the all-in-one starts; pytest waits for it.
log "zun-api for the contract test (tools/setup-zun-api.sh, in the background)"
zun_log=$(mktemp)
bash tools/setup-zun-api.sh >"$zun_log" 2>&1 &
zun_setup=$!

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

if ! wait "$zun_setup"; then
    cat "$zun_log" >&2
    log "tools/setup-zun-api.sh failed"
    exit 1
fi
log "zun-api installed in $(tail -n 1 "$zun_log")"
rm -f "$zun_log"
export HEAT_CAPSULE_ZUN_CONTRACT=1

log "selenium for the dashboard's browser test (tools/setup-browser.sh)"
HEAT_CAPSULE_BROWSER_VENV=$(bash tools/setup-browser.sh)
export HEAT_CAPSULE_BROWSER_VENV

# The dashboard (Horizon, for tests/e2e/test_dashboard.py) installs and
# starts in the background while the other suites run; its test waits for
# it. Stopped at the end if this run started it.
dashboard_log=$(mktemp)
dashboard_started=
bash tools/allinone.sh dashboard check || dashboard_started=1
log "the dashboard, in the background (tools/allinone.sh dashboard;" \
    "output: $dashboard_log)"
(
    bash tools/allinone.sh dashboard >"$dashboard_log" 2>&1 ||
        echo "tools/allinone.sh dashboard failed (exit code $?)" \
            >>"$dashboard_log"
    touch "$dashboard_log.done"
) &
dashboard_job=$!
export HEAT_CAPSULE_E2E_DASHBOARD_WAIT=900
export HEAT_CAPSULE_E2E_DASHBOARD_LOG=$dashboard_log
# shellcheck disable=SC2317  # called by the EXIT trap
stop_dashboard() {
    wait "$dashboard_job" || true
    if grep -q '^tools/allinone.sh dashboard failed' "$dashboard_log"; then
        log "the dashboard did not start:"
        cat "$dashboard_log"
    fi
    rm -f "$dashboard_log" "$dashboard_log.done"
    if [ -n "$dashboard_started" ] && [ -z "$aio_started" ]; then
        bash tools/allinone.sh dashboard stop || true
    fi
    stop_allinone
}
trap stop_dashboard EXIT

log "pytest (tools/run-pytest.sh: in parallel, then the tests marked serial)"
set +e
bash tools/run-pytest.sh "$@"
rc=$?
set -e
# Tempest against the same all-in-one, on whole-suite runs (no pytest
# arguments): heat-capsule's plugin and zun-tempest-plugin's capsule tests
# (tools/run-tempest.sh, its own virtualenv). Either failing fails the run.
if [ "$#" -eq 0 ]; then
    log "tempest (tools/run-tempest.sh)"
    if ! HEAT_CAPSULE_VENV="$venv" bash tools/run-tempest.sh; then
        log "tempest failed (its counts are above)"
        [ "$rc" -ne 0 ] || rc=1
    fi
fi
log "finished in $(( $(date +%s) - start ))s with pytest exit code $rc"
if [ "$rc" -eq 5 ]; then
    log "a pytest session collected no tests: that is a failure"
    exit 1
fi
exit "$rc"
