#!/usr/bin/env bash
# heat-capsule all in one, on one machine, listening on 127.0.0.1 only:
# PostgreSQL, Keystone (uWSGI), Heat (API and engine in one process, see
# allinone/heat_all.py) with OS::Zun::Capsule loaded from plugin_dirs,
# and heat-capsule-engine in keystone auth mode, registered in the catalog as
# service type "container". Then a demo stack from templates/ and its outputs.
#
#   bash tools/allinone.sh           start what is not up, then the demo
#   bash tools/allinone.sh start     the same without the demo
#   bash tools/allinone.sh demo      only the demo (services must be up)
#   bash tools/allinone.sh status    pid, health and memory per service
#   bash tools/allinone.sh check     exit 0 if every service is up
#   bash tools/allinone.sh stop      end the processes this script started
#   bash tools/allinone.sh dashboard [stop]
#                                    Horizon + heat-dashboard + zun-ui on
#                                    127.0.0.1:8080 (allinone/dashboard.sh)
#   (as root; a user with sudo: sudo bash tools/allinone.sh ...)
#
# Works on a fresh Debian 12 machine as root: tools/setup-host.sh installs
# docker.io, busybox-static and postgresql and starts Docker,
# tools/setup-venv.sh builds the virtualenv (HEAT_CAPSULE_VENV, default
# /opt/heat-capsule/venv). Everything else lives in HC_ALLINONE_DIR (default
# /opt/heat-capsule/allinone): configs (etc/), logs (log/), pid files (run/),
# PostgreSQL's data (pg/), the secrets, openrc, admin-openrc and clouds.yaml.
#
# A second run reuses every service whose recorded pid is still the same
# process (pid and start time) and whose health check answers, and restarts
# one whose configuration changed. "stop" signals exactly those recorded
# processes (their process groups: each service runs in its own session) and
# nothing else; capsules the engine runs stay, and the engine adopts them
# again at its next start.
#
# Knobs (environment): HC_ALLINONE_DIR, HEAT_CAPSULE_VENV,
# HC_ALLINONE_PG_PORT (5433), HC_ALLINONE_KEYSTONE_PORT (5000),
# HC_ALLINONE_HEAT_PORT (8004), HC_ALLINONE_ENGINE_PORT (9517),
# HC_ALLINONE_DEMO_TEMPLATE (templates/minimal.yaml), HC_ALLINONE_DEMO_STACK
# (demo), HC_ALLINONE_DEBUG=1 (debug logs of Heat and the engine),
# HC_ALLINONE_SKIP_SETUP=1 (the host, venv and images are ready:
# tools/run-tests.sh sets it after doing those steps itself),
# HC_ALLINONE_GRACE_PERIOD (the engine's [runtime]
# default_termination_grace_period; unset: the product's 10 s;
# tools/run-tests.sh sets 1 on an all-in-one it starts itself).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

STATE=${HC_ALLINONE_DIR:-/opt/heat-capsule/allinone}
HOST=127.0.0.1
PG_PORT=${HC_ALLINONE_PG_PORT:-5433}
KEYSTONE_PORT=${HC_ALLINONE_KEYSTONE_PORT:-5000}
HEAT_PORT=${HC_ALLINONE_HEAT_PORT:-8004}
ENGINE_PORT=${HC_ALLINONE_ENGINE_PORT:-9517}
REGION=RegionOne
INSTANCE=allinone
DEMO_TEMPLATE=${HC_ALLINONE_DEMO_TEMPLATE:-$repo/templates/minimal.yaml}
DEMO_STACK=${HC_ALLINONE_DEMO_STACK:-demo}
DEBUG=false
if [ "${HC_ALLINONE_DEBUG:-}" = 1 ]; then DEBUG=true; fi
GRACE_PERIOD=${HC_ALLINONE_GRACE_PERIOD:-}

KEYSTONE_URL=http://$HOST:$KEYSTONE_PORT/v3
HEAT_URL=http://$HOST:$HEAT_PORT
ENGINE_URL=http://$HOST:$ENGINE_PORT
SERVICES=(postgres keystone heat engine)

started_at=$(date +%s)
venv=

log() { printf '[allinone %3ds] %s\n' "$(( $(date +%s) - started_at ))" "$*"; }
die() { log "ERROR: $*" >&2; exit 1; }

# --- processes we own -------------------------------------------------------

pid_file() { echo "$STATE/run/$1.pid"; }

# Start time of a process (clock ticks since boot), or nothing if it is gone
# (or a zombie: it has exited, only its parent has not collected it yet).
start_time() {
    local stat fields
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    read -ra fields <<<"$stat"
    [ "${fields[0]}" != Z ] || return 1
    echo "${fields[19]}"
}

# The pid of service $1 if the recorded process still exists (same pid and
# same start time, so a recycled pid is never mistaken for ours).
running_pid() {
    local file pid recorded now
    file=$(pid_file "$1")
    [ -s "$file" ] || return 1
    read -r pid recorded < "$file" || return 1
    now=$(start_time "$pid") || return 1
    [ "$now" = "$recorded" ] || return 1
    echo "$pid"
}

# launch NAME LOGFILE COMMAND...: COMMAND in a new session (setsid execs it
# without forking, so $! is the service itself and its process group).
launch() {
    local name=$1 out=$2 pid started
    shift 2
    setsid "$@" >>"$out" 2>&1 </dev/null &
    pid=$!
    started=$(start_time "$pid") || die "$name exited at once; see $out"
    echo "$pid $started" > "$(pid_file "$name")"
    log "$name started (pid $pid, output $out)"
}

# Signal the process group of service $1 (its own session), wait for the
# process to go, and KILL the group after $3 seconds.
stop_service() {
    local name=$1 sig=${2:-TERM} grace=${3:-60} pid pgid waited=0 stat
    if ! pid=$(running_pid "$name"); then
        if [ -e "$(pid_file "$name")" ]; then
            log "$name: recorded process is gone"
            rm -f "$(pid_file "$name")"
        fi
        return 0
    fi
    stat=$(cat "/proc/$pid/stat")
    stat=${stat##*) }
    read -r _ _ pgid _ <<<"$stat"
    log "stopping $name (pid $pid, SIG$sig)"
    if [ "$pgid" = "$pid" ] && [ "$name" != postgres ]; then
        kill "-$sig" -- "-$pid" 2>/dev/null || true
    else
        # PostgreSQL: only the postmaster; it shuts its backends down.
        kill "-$sig" "$pid" 2>/dev/null || true
    fi
    while running_pid "$name" >/dev/null; do
        if [ "$waited" -ge "$((grace * 5))" ]; then
            log "$name did not stop within ${grace}s: SIGKILL"
            if [ "$pgid" = "$pid" ]; then
                kill -KILL -- "-$pid" 2>/dev/null || true
            else
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    rm -f "$(pid_file "$name")"
    log "$name stopped"
}

port_busy() { (: <>"/dev/tcp/$HOST/$1") 2>/dev/null; }

http_ok() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" \
        2>/dev/null) || true
    [ "${code:-000}" -ge 200 ] && [ "$code" -lt 400 ]
}

postgres_ok() { "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" 2>/dev/null; }
keystone_ok() { http_ok "$KEYSTONE_URL"; }
heat_ok() { http_ok "$HEAT_URL/"; }
engine_ok() { http_ok "$ENGINE_URL/"; }

# wait_healthy NAME SECONDS LOGFILE: until NAME's check passes; fail early
# (with the end of its log) if its process dies.
wait_healthy() {
    local name=$1 timeout=$2 out=$3 since
    since=$(date +%s)
    until "${name}_ok"; do
        if ! running_pid "$name" >/dev/null; then
            tail -n 30 "$out" >&2 || true
            die "$name exited during start-up; see $out"
        fi
        if [ "$(( $(date +%s) - since ))" -ge "$timeout" ]; then
            tail -n 30 "$out" >&2 || true
            die "$name did not answer within ${timeout}s; see $out"
        fi
        sleep 0.2
    done
    log "$name answers (after $(( $(date +%s) - since ))s)"
}

# Fingerprint of what a service was started with: its config files, the
# repository and the venv. A change means "restart it".
fingerprint() {
    { cat "$@"; echo "$repo $venv"; } | sha256sum | cut -c1-16
}

# reuse NAME FINGERPRINT: true if NAME is up, healthy and was started with
# the same fingerprint; otherwise stops what is left of it and returns false.
reuse() {
    local name=$1 want=$2 pid have waited=0
    pid=$(running_pid "$name") || return 1
    have=$(cat "$STATE/run/$name.fingerprint" 2>/dev/null || true)
    if [ "$have" != "$want" ]; then
        log "$name: configuration changed since it started: restarting"
        stop_service "$name"
        return 1
    fi
    # It may still be starting (a previous run was interrupted).
    while ! "${name}_ok"; do
        if [ "$waited" -ge 100 ]; then
            log "$name (pid $pid) does not answer: restarting it"
            stop_service "$name"
            return 1
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    log "$name is already up (pid $pid): reusing it"
    return 0
}

record_fingerprint() { echo "$2" > "$STATE/run/$1.fingerprint"; }

check_port_free() {
    if port_busy "$1"; then
        die "port $HOST:$1 is taken by a program this script did not start" \
            "(it needs it for $2; see the HC_ALLINONE_*_PORT knobs)"
    fi
}

# --- set-up -----------------------------------------------------------------

find_pg_bin() {
    PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d \
        2>/dev/null | sort -V | tail -n 1)
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/postgres" ]; then
        die "PostgreSQL's binaries are missing (tools/setup-host.sh" \
            "installs them)"
    fi
}

prepare_host() {
    if [ "${HC_ALLINONE_SKIP_SETUP:-}" = 1 ]; then
        venv=${HEAT_CAPSULE_VENV:-/opt/heat-capsule/venv}
        [ -x "$venv/bin/python" ] || die "no virtualenv at $venv"
        log "host, virtualenv ($venv) and images: prepared by the caller"
        return
    fi
    log "host packages and Docker (tools/setup-host.sh)"
    bash "$repo/tools/setup-host.sh"
    log "virtualenv (tools/setup-venv.sh; pip's output: log/setup-venv.log)"
    if ! venv=$(bash "$repo/tools/setup-venv.sh" 2>"$STATE/log/setup-venv.log")
    then
        tail -n 30 "$STATE/log/setup-venv.log" >&2
        die "tools/setup-venv.sh failed; see $STATE/log/setup-venv.log"
    fi
    grep '^\[setup-venv\]' "$STATE/log/setup-venv.log" || true
    log "local images: busybox and the capsule sandbox (heat-capsule-images)"
    "$venv/bin/heat-capsule-images" >/dev/null
}

load_secrets() {
    local secrets=$STATE/secrets
    if [ ! -s "$secrets" ]; then
        log "generating passwords ($secrets)"
        (
            umask 077
            for key in ADMIN_PASSWORD DEMO_PASSWORD HEAT_PASSWORD \
                ENGINE_PASSWORD DOMAIN_ADMIN_PASSWORD KEYSTONE_DB_PASSWORD \
                HEAT_DB_PASSWORD ENGINE_DB_PASSWORD HEAT_AUTH_KEY; do
                # 16 random bytes as 32 hex digits (Heat's
                # auth_encryption_key must be exactly 32 characters).
                printf '%s=%s\n' "$key" \
                    "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
            done > "$secrets.new"
            mv "$secrets.new" "$secrets"
        )
    fi
    # shellcheck source=/dev/null
    . "$secrets"
}

make_dirs() {
    mkdir -p "$STATE"/{etc,log,run,stamps,engine,heat-plugins}
    chmod 0755 "$STATE"
    chmod 0700 "$STATE/etc" "$STATE/run"
}

# --- PostgreSQL -------------------------------------------------------------

as_postgres() {
    (cd / && setpriv --reuid=postgres --regid=postgres --init-groups "$@")
}

psql_admin() {
    as_postgres "$PG_BIN/psql" -h "$STATE/pg/run" -p "$PG_PORT" -U postgres \
        -d postgres -v ON_ERROR_STOP=1 -qAtX "$@"
}

# ensure_database NAME PASSWORD: a login role and a database it owns.
ensure_database() {
    local name=$1 password=$2
    if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$name'")" \
        = 1 ]; then
        psql_admin -c "ALTER ROLE $name LOGIN PASSWORD '$password'"
    else
        psql_admin -c "CREATE ROLE $name LOGIN PASSWORD '$password'"
    fi
    if [ "$(psql_admin -c \
        "SELECT 1 FROM pg_database WHERE datname = '$name'")" != 1 ]; then
        psql_admin -c "CREATE DATABASE $name OWNER $name"
        log "database $name created"
    fi
}

start_postgres() {
    local data=$STATE/pg/data out=$STATE/log/postgres.log print
    print=$(echo "$PG_BIN $PG_PORT $STATE" | sha256sum | cut -c1-16)
    if reuse postgres "$print"; then return; fi
    mkdir -p "$STATE/pg/run"
    chown postgres:postgres "$STATE/pg" "$STATE/pg/run"
    chmod 0700 "$STATE/pg" "$STATE/pg/run"
    if [ ! -s "$data/PG_VERSION" ]; then
        log "initialising PostgreSQL in $data"
        as_postgres "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 \
            --no-locale --auth-local=peer --auth-host=scram-sha-256 \
            >"$STATE/log/initdb.log" 2>&1 || \
            die "initdb failed; see $STATE/log/initdb.log"
    fi
    check_port_free "$PG_PORT" PostgreSQL
    touch "$out" && chown postgres:postgres "$out"
    # synchronous_commit=off: a crash may lose the last commits, never
    # corrupts; it makes Keystone's and Heat's migrations fast.
    launch postgres "$out" setpriv --reuid=postgres --regid=postgres \
        --init-groups "$PG_BIN/postgres" -D "$data" \
        -c listen_addresses="$HOST" -c port="$PG_PORT" \
        -c unix_socket_directories="$STATE/pg/run" \
        -c synchronous_commit=off -c shared_buffers=32MB \
        -c max_connections=200
    wait_healthy postgres 60 "$out"
    record_fingerprint postgres "$print"
}

setup_databases() {
    ensure_database keystone "$KEYSTONE_DB_PASSWORD"
    ensure_database heat "$HEAT_DB_PASSWORD"
    ensure_database heat_capsule "$ENGINE_DB_PASSWORD"
}

db_url() { echo "postgresql+psycopg2://$1:$2@$HOST:$PG_PORT/$1"; }

# --- Keystone ---------------------------------------------------------------

write_keystone_conf() {
    local dir=$STATE/etc/keystone
    mkdir -p "$dir"
    cat > "$dir/keystone.conf" <<EOF
# Written by allinone/allinone.sh; rewritten at every run.
[DEFAULT]
log_dir = $STATE/log
log_file = keystone.log

[database]
connection = $(db_url keystone "$KEYSTONE_DB_PASSWORD")

[token]
provider = fernet

[fernet_tokens]
key_repository = $dir/fernet-keys

[credential]
key_repository = $dir/credential-keys
EOF
}

keystone_manage() {
    "$venv/bin/keystone-manage" --config-file \
        "$STATE/etc/keystone/keystone.conf" "$@"
}

# stamped NAME VALUE COMMAND...: run COMMAND unless it already ran with VALUE.
stamped() {
    local stamp=$STATE/stamps/$1 value=$2
    shift 2
    if [ "$(cat "$stamp" 2>/dev/null || true)" = "$value" ]; then
        return 0
    fi
    "$@"
    echo "$value" > "$stamp"
}

keystone_version() {
    "$venv/bin/python" -c \
        'import importlib.metadata as m; print(m.version("keystone"))'
}

bootstrap_keystone() {
    keystone_manage bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
        --bootstrap-region-id "$REGION" \
        --bootstrap-admin-url "$KEYSTONE_URL/" \
        --bootstrap-internal-url "$KEYSTONE_URL/" \
        --bootstrap-public-url "$KEYSTONE_URL/" \
        >>"$STATE/log/keystone-manage.log" 2>&1
}

keystone_db_sync() {
    log "Keystone database migration (keystone-manage db_sync)"
    keystone_manage db_sync >>"$STATE/log/keystone-manage.log" 2>&1 || \
        die "keystone-manage db_sync failed; see $STATE/log/keystone-manage.log"
}

start_keystone() {
    local dir=$STATE/etc/keystone out=$STATE/log/keystone-uwsgi.log print
    write_keystone_conf
    print=$(fingerprint "$dir/keystone.conf")
    if reuse keystone "$print"; then return; fi
    check_port_free "$KEYSTONE_PORT" Keystone
    stamped keystone-db "$(keystone_version)" keystone_db_sync
    if [ ! -e "$dir/fernet-keys/0" ]; then
        keystone_manage fernet_setup --keystone-user root \
            --keystone-group root >>"$STATE/log/keystone-manage.log" 2>&1
    fi
    if [ ! -e "$dir/credential-keys/0" ]; then
        keystone_manage credential_setup --keystone-user root \
            --keystone-group root >>"$STATE/log/keystone-manage.log" 2>&1
    fi
    log "Keystone bootstrap (admin user, identity endpoints)"
    stamped keystone-bootstrap "$(echo "$ADMIN_PASSWORD $KEYSTONE_URL" | \
        sha256sum | cut -c1-16)" bootstrap_keystone
    # Single-threaded workers: with threads, concurrent requests of
    # different scopes were seen to mix up (403 on Heat's trusts).
    launch keystone "$out" env OS_KEYSTONE_CONFIG_DIR="$dir" \
        "$venv/bin/uwsgi" --http-socket "$HOST:$KEYSTONE_PORT" \
        --module keystone.wsgi.api:application --processes 2 --threads 1 \
        --master --die-on-term --lazy-apps --need-app --disable-logging \
        --add-header "Connection: close"
    wait_healthy keystone 120 "$out"
    record_fingerprint keystone "$print"
}

setup_keystone_objects() {
    local spec=$STATE/etc/keystone-objects.json digest
    (
        umask 077
        cat > "$spec" <<EOF
{"auth_url": "$KEYSTONE_URL", "region": "$REGION",
 "admin_password": "$ADMIN_PASSWORD", "demo_password": "$DEMO_PASSWORD",
 "heat_password": "$HEAT_PASSWORD", "engine_password": "$ENGINE_PASSWORD",
 "domain_admin_password": "$DOMAIN_ADMIN_PASSWORD",
 "heat_url": "$HEAT_URL/v1/%(tenant_id)s",
 "engine_url": "$ENGINE_URL/v1"}
EOF
    )
    digest=$(fingerprint "$spec" "$here/keystone_setup.py")
    if [ "$(cat "$STATE/stamps/keystone-objects" 2>/dev/null || true)" \
        = "$digest" ]; then
        log "Keystone projects, users, services and endpoints: in place"
        return
    fi
    log "Keystone projects, users, roles, services and endpoints"
    "$venv/bin/python" "$here/keystone_setup.py" "$spec" | \
        sed 's/^/    /'
    echo "$digest" > "$STATE/stamps/keystone-objects"
}

# --- Heat -------------------------------------------------------------------

write_heat_conf() {
    local dir=$STATE/etc/heat shipped=$venv/etc/heat
    mkdir -p "$dir"
    cp "$shipped/api-paste.ini" "$dir/"
    rm -rf "$dir/environment.d" "$dir/templates"
    cp -r "$shipped/environment.d" "$shipped/templates" "$dir/"
    sed -i "s|file:///etc/heat/templates|file://$dir/templates|g" \
        "$dir"/environment.d/*.yaml
    # OS::Zun::Capsule: the repository's resources/ under a unique name,
    # as devstack links plugins (every in-tree plugin dir is "resources").
    ln -sfn "$repo/resources" "$STATE/heat-plugins/heat_capsule"
    cat > "$dir/heat.conf" <<EOF
# Written by allinone/allinone.sh; rewritten at every run.
[DEFAULT]
log_dir = $STATE/log
log_file = heat-all.log
debug = $DEBUG
host = $INSTANCE
# API and engine share one process (allinone/heat_all.py): RPC stays
# in the process.
transport_url = fake://
auth_encryption_key = $HEAT_AUTH_KEY
plugin_dirs = $STATE/heat-plugins
environment_dir = $dir/environment.d
template_dir = $dir/templates
region_name_for_services = $REGION
stack_user_domain_name = heat
stack_domain_admin = heat_domain_admin
stack_domain_admin_password = $DOMAIN_ADMIN_PASSWORD
heat_metadata_server_url = http://$HOST:8000
heat_waitcondition_server_url = http://$HOST:8000/v1/waitcondition
# A resource that fails fails the stack at once, with its reason. Heat's
# default (5) deletes and recreates it five times with growing pauses
# first, about 90 s for a capsule whose init container fails.
action_retry_limit = 0

[allinone]
listen = $HOST
port = $HEAT_PORT

[database]
connection = $(db_url heat "$HEAT_DB_PASSWORD")

[paste_deploy]
api_paste_config = $dir/api-paste.ini

[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL
auth_url = http://$HOST:$KEYSTONE_PORT
auth_type = password
username = heat
password = $HEAT_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = $REGION

[trustee]
auth_type = password
auth_url = http://$HOST:$KEYSTONE_PORT
username = heat
password = $HEAT_PASSWORD
user_domain_name = Default

[clients_keystone]
auth_uri = http://$HOST:$KEYSTONE_PORT

[oslo_messaging_notifications]
driver = noop

[oslo_concurrency]
lock_path = $STATE/run/locks
EOF
}

heat_version() {
    "$venv/bin/python" -c \
        'import importlib.metadata as m; print(m.version("openstack-heat"))'
}

heat_db_sync() {
    log "Heat database migration (heat-manage db_sync)"
    "$venv/bin/heat-manage" --config-file "$STATE/etc/heat/heat.conf" \
        db_sync >>"$STATE/log/heat-manage.log" 2>&1 || \
        die "heat-manage db_sync failed; see $STATE/log/heat-manage.log"
}

start_heat() {
    local out=$STATE/log/heat-all.out print
    write_heat_conf
    print=$(fingerprint "$STATE/etc/heat/heat.conf" "$here/heat_all.py")
    if reuse heat "$print"; then return; fi
    check_port_free "$HEAT_PORT" "the Heat API"
    stamped heat-db "$(heat_version)" heat_db_sync
    launch heat "$out" "$venv/bin/python" "$here/heat_all.py" \
        --config-file "$STATE/etc/heat/heat.conf"
    wait_healthy heat 120 "$out"
    record_fingerprint heat "$print"
}

# --- heat-capsule-engine ----------------------------------------------------

write_engine_conf() {
    local dir=$STATE/etc/heat-capsule
    mkdir -p "$dir"
    cat > "$dir/engine.conf" <<EOF
# Written by allinone/allinone.sh; rewritten at every run.
[DEFAULT]
state_dir = $STATE/engine
log_file = $STATE/log/heat-capsule-engine.log
debug = $DEBUG

[api]
listen = $HOST
port = $ENGINE_PORT
auth_strategy = keystone

[database]
connection = $(db_url heat_capsule "$ENGINE_DB_PASSWORD")

[runtime]
# Docker objects of this engine carry this name; test engines use others.
instance_name = $INSTANCE
# The network all capsules shared before per-project networks: capsules
# still on it are adopted, moved at their next restart, then it is removed.
network_name = heat-capsule
${GRACE_PERIOD:+default_termination_grace_period = $GRACE_PERIOD}

[isolation]
# Each project's capsules get a Docker network with a /24 of this range.
subnet_pool = 10.230.0.0/16

[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL
auth_url = http://$HOST:$KEYSTONE_PORT
auth_type = password
username = heat-capsule
password = $ENGINE_PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = $REGION
service_type = container
EOF
}

start_engine() {
    local out=$STATE/log/heat-capsule-engine.out print
    write_engine_conf
    print=$(fingerprint "$STATE/etc/heat-capsule/engine.conf")
    if reuse engine "$print"; then return; fi
    check_port_free "$ENGINE_PORT" heat-capsule-engine
    # As root: the engine talks to the Docker socket.
    launch engine "$out" "$venv/bin/heat-capsule-engine" \
        --config-file "$STATE/etc/heat-capsule/engine.conf"
    wait_healthy engine 60 "$out"
    record_fingerprint engine "$print"
}

# --- credentials for people and tests ---------------------------------------

write_credentials() {
    local kind user password project
    (
        umask 077
        for kind in openrc admin-openrc; do
            if [ "$kind" = openrc ]; then
                user=demo password=$DEMO_PASSWORD project=demo
            else
                user=admin password=$ADMIN_PASSWORD project=admin
            fi
            cat > "$STATE/$kind.new" <<EOF
# heat-capsule all-in-one: user "$user" in project "$project".
#   source $STATE/$kind && openstack stack list
unset OS_CLOUD OS_TOKEN OS_AUTH_TYPE
export OS_AUTH_URL=$KEYSTONE_URL
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=$user
export OS_PASSWORD=$password
export OS_PROJECT_NAME=$project
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=$REGION
export OS_INTERFACE=public
EOF
            mv "$STATE/$kind.new" "$STATE/$kind"
        done
        cat > "$STATE/clouds.yaml.new" <<EOF
# heat-capsule all-in-one. OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml
# OS_CLOUD=heat-capsule (user demo) or heat-capsule-admin (user admin).
clouds:
  heat-capsule:
    auth:
      auth_url: $KEYSTONE_URL
      username: demo
      password: $DEMO_PASSWORD
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: $REGION
    interface: public
    identity_api_version: 3
  heat-capsule-admin:
    auth:
      auth_url: $KEYSTONE_URL
      username: admin
      password: $ADMIN_PASSWORD
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: $REGION
    interface: public
    identity_api_version: 3
EOF
        mv "$STATE/clouds.yaml.new" "$STATE/clouds.yaml"
    )
}

# --- the demo ---------------------------------------------------------------

# The openstack CLI as the demo user. Each call costs about 2 s of start-up.
# Its clients come from the upper-constraints (tools/setup-venv.sh), a set
# released together, so a call that succeeds prints nothing on stderr.
osc() {
    OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml OS_CLOUD=heat-capsule \
        "$venv/bin/openstack" "$@"
}

demo() {
    local status
    [ -f "$DEMO_TEMPLATE" ] || die "no template $DEMO_TEMPLATE"
    status=$(osc stack show "$DEMO_STACK" -f value -c stack_status \
        2>/dev/null || true)
    case "$status" in
        CREATE_COMPLETE|UPDATE_COMPLETE)
            log "demo stack '$DEMO_STACK' exists ($status): reusing it" ;;
        "")
            log "creating the demo stack '$DEMO_STACK' from" \
                "${DEMO_TEMPLATE#"$repo"/}"
            osc stack create -t "$DEMO_TEMPLATE" --wait "$DEMO_STACK" \
                -f value -c stack_status ;;
        *)
            log "demo stack '$DEMO_STACK' is $status: deleting and recreating it"
            osc stack delete --yes --wait "$DEMO_STACK"
            osc stack create -t "$DEMO_TEMPLATE" --wait "$DEMO_STACK" \
                -f value -c stack_status ;;
    esac
    log "outputs of the demo stack (openstack stack output show $DEMO_STACK --all):"
    osc stack output show "$DEMO_STACK" --all
    log "its capsule (openstack capsule list):"
    osc capsule list
}

# --- reports ----------------------------------------------------------------

memory_report() {
    local args=() name pid
    for name in "${SERVICES[@]}" dashboard; do
        if pid=$(running_pid "$name"); then args+=("$name=$pid"); fi
    done
    [ "${#args[@]}" -gt 0 ] || return 0
    python3 "$here/memory.py" "${args[@]}"
}

status() {
    local name pid health url
    find_pg_bin
    printf '%-10s %-8s %-8s %s\n' service pid health address
    for name in "${SERVICES[@]}"; do
        pid=$(running_pid "$name" || echo -)
        if "${name}_ok"; then health=ok; else health=down; fi
        case $name in
            postgres) url="$HOST:$PG_PORT" ;;
            keystone) url=$KEYSTONE_URL ;;
            heat) url="$HEAT_URL/v1" ;;
            engine) url="$ENGINE_URL/v1" ;;
        esac
        printf '%-10s %-8s %-8s %s\n' "$name" "$pid" "$health" "$url"
    done
    if pid=$(running_pid dashboard); then
        if dashboard_ok; then health=ok; else health=down; fi
        printf '%-10s %-8s %-8s %s\n' dashboard "$pid" "$health" \
            "$DASHBOARD_URL/"
    fi
    memory_report
}

# Quiet: every service runs (our recorded pid) and answers.
check_all() {
    local name
    find_pg_bin
    for name in "${SERVICES[@]}"; do
        running_pid "$name" >/dev/null || return 1
        "${name}_ok" || return 1
    done
}

summary() {
    log "all services are up, on $HOST only:"
    status | sed 's/^/    /'
    cat <<EOF
    credentials: source $STATE/openrc (user demo)
                 source $STATE/admin-openrc (user admin)
                 or OS_CLIENT_CONFIG_FILE=$STATE/clouds.yaml OS_CLOUD=heat-capsule
    logs:        $STATE/log/
    stop:        bash tools/allinone.sh stop
EOF
}

# --- the dashboard form -----------------------------------------------------

# shellcheck source=allinone/dashboard.sh
. "$here/dashboard.sh"

# --- commands ---------------------------------------------------------------

require_root() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (sudo bash $0 ${1:-})"
}

up() {
    require_root "${1:-}"
    make_dirs
    prepare_host
    find_pg_bin
    load_secrets
    log "PostgreSQL on $HOST:$PG_PORT"
    start_postgres
    setup_databases
    log "Keystone on $KEYSTONE_URL"
    start_keystone
    setup_keystone_objects
    log "Heat (API and engine, one process) on $HEAT_URL"
    start_heat
    log "heat-capsule-engine on $ENGINE_URL (auth: keystone," \
        "Docker instance '$INSTANCE')"
    start_engine
    write_credentials
}

stop_all() {
    require_root stop
    log "stopping the services this script started (state: $STATE)"
    # Reverse order: the dashboard, the engine and Heat first, the
    # database last.
    stop_service dashboard TERM 30
    stop_service engine TERM 30
    stop_service heat TERM 60
    stop_service keystone TERM 30
    stop_service postgres INT 60
    log "stopped (capsules stay in Docker; the engine adopts them at its next start)"
}

main() {
    case "${1:-all}" in
        all)
            up all
            demo
            summary ;;
        start)
            up start
            summary ;;
        demo)
            require_root demo
            venv=${HEAT_CAPSULE_VENV:-/opt/heat-capsule/venv}
            if ! { engine_ok && heat_ok && keystone_ok; }; then
                die "the services are not up: bash tools/allinone.sh start"
            fi
            demo ;;
        status)
            status ;;
        check)
            check_all
            return ;;
        stop)
            stop_all ;;
        dashboard)
            if [ "${2:-}" = check ]; then
                dashboard_main check
                return
            fi
            dashboard_main "${2:-start}" ;;
        -h|--help|help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
        *)
            die "unknown command '$1' (all, start, demo, status, check, stop, dashboard)" ;;
    esac
    log "done in $(( $(date +%s) - started_at ))s"
}

main "$@"
