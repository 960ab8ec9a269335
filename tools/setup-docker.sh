#!/usr/bin/env bash
# A running Docker engine for heat-capsule on a Debian 12 host, as root.
# Installs docker.io and busybox-static when missing, then starts dockerd in
# the background (log: /var/log/dockerd-heat-capsule.log) unless
# /var/run/docker.sock already answers, and waits until it does (60 s at
# most). Idempotent: a second run only checks. Says what it did.
set -euo pipefail

SOCKET=/var/run/docker.sock
PID_FILE=/var/run/docker.pid
DOCKERD_LOG=/var/log/dockerd-heat-capsule.log
WAIT_SECONDS=60

log() { printf '[setup-docker] %s\n' "$*"; }

# shellcheck source=tools/lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"

docker_answers() {
    if command -v curl >/dev/null 2>&1; then
        curl -sf --max-time 5 --unix-socket "$SOCKET" \
            http://localhost/_ping >/dev/null 2>&1
    else
        timeout 5 docker version >/dev/null 2>&1
    fi
}

dockerd_running() {
    # /proc rather than pgrep: a minimal Debian has no procps.
    grep -qsx dockerd /proc/[0-9]*/comm
}

start_dockerd() {
    if dockerd_running; then
        log "dockerd is running but $SOCKET does not answer yet; waiting"
        return
    fi
    if [ -e "$PID_FILE" ]; then
        log "removing the stale $PID_FILE of a dockerd that is gone"
        rm -f "$PID_FILE"
    fi
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
}

wait_for_docker() {
    local waited=0
    until docker_answers; do
        if [ "$waited" -ge "$WAIT_SECONDS" ]; then
            log "Docker did not answer on $SOCKET within ${WAIT_SECONDS}s;" \
                "last lines of $DOCKERD_LOG:"
            tail -n 20 "$DOCKERD_LOG" >&2 || true
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "Docker answers on $SOCKET (after ${waited}s)"
}

main() {
    if [ "$(id -u)" -ne 0 ]; then
        log "must run as root"
        exit 1
    fi
    apt_install_missing docker.io busybox-static
    if docker_answers; then
        log "Docker already answers on $SOCKET"
        return
    fi
    start_dockerd
    wait_for_docker
}

main "$@"
