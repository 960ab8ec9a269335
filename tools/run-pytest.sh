#!/usr/bin/env bash
# pytest over tests/ as tools/run-tests.sh runs it, in two sessions
# (tests/support/schedule.py): every test not marked `serial` on
# $HC_TEST_WORKERS pytest-xdist workers (default 3: the tests mostly wait on
# Docker, Heat and subprocesses; each test file is one unit of work, the
# long files first), then the tests marked serial, alone. Arguments go to
# both sessions, after `tests` (as they always went to pytest). Needs the project's virtualenv on PATH and what the tests
# need running (tools/run-tests.sh sets it all up).
#
# Each session's exit code counts. A session that collects nothing (exit
# code 5) makes this exit 5 on a whole-suite run (no arguments); with
# arguments only if neither session collected anything. Every pytest
# process checks its own test engines for leaks; then one check over every
# test engine of the run (python -m tests.support.leaks), and one report of
# the slowest durations and the counts of both sessions.
set -euo pipefail

cd "$(dirname "$0")/.."
log() { printf '[run-pytest] %s\n' "$*"; }

workers=${HC_TEST_WORKERS:-3}
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT
export HC_LEAK_REGISTRY="$run_dir/engines" HC_DURATIONS_FILE="$run_dir/durations"
# Hypothesis' example database outside the checkout (shared by the workers).
export HYPOTHESIS_STORAGE_DIRECTORY=${HYPOTHESIS_STORAGE_DIRECTORY:-${XDG_CACHE_HOME:-$HOME/.cache}/heat-capsule/hypothesis}

session() {   # NAME PYTEST-ARGS...; sets session_rc
    local name=$1 began
    shift
    began=$(date +%s)
    log "$name"
    set +e
    pytest -p no:cacheprovider -o cache_dir=/tmp "$@"
    session_rc=$?
    set -e
    log "$name: exit code $session_rc after $(( $(date +%s) - began ))s"
}

session "parallel session ($workers workers)" -n "$workers" \
    --dist loadfile --no-loadscope-reorder -m 'not serial' tests "$@"
parallel_rc=$session_rc
session "serial session (tests marked serial)" -m serial tests "$@"
serial_rc=$session_rc

rc=0
for session_rc in "$parallel_rc" "$serial_rc"; do
    if [ "$session_rc" -eq 5 ] && [ "$#" -gt 0 ] &&
            [ "$parallel_rc$serial_rc" != 55 ]; then
        continue    # with arguments, one session may have nothing to run
    fi
    [ "$rc" -ne 0 ] || rc=$session_rc
done
if ! python -m tests.support.leaks "$HC_LEAK_REGISTRY"; then
    [ "$rc" -ne 0 ] || rc=1
fi
python -m tests.support.schedule "$HC_DURATIONS_FILE" || true
log "exit code $rc (parallel session $parallel_rc, serial session $serial_rc)"
exit "$rc"
