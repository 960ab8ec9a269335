# shellcheck shell=bash disable=SC2154
# (here, repo, STATE, HOST, KEYSTONE_URL: set by allinone.sh, which sources this)
# The all-in-one's dashboard form, sourced by allinone.sh (its helpers:
# log, die, launch, stop_service, wait_healthy, reuse, fingerprint, ...).
# Horizon with heat-dashboard and zun-ui (dashboard/requirements.txt) in
# their own virtualenv, installed with the project's constraints file,
# served by gunicorn on 127.0.0.1 against the running Keystone. It starts
# and stops only the dashboard, never the services below it.
#
#   bash tools/allinone.sh dashboard         install (once) and start it
#   bash tools/allinone.sh dashboard stop    stop it (the main "stop" too)
#   bash tools/allinone.sh dashboard check   exit 0 if it runs and answers
#
# Knobs: HC_ALLINONE_DASHBOARD_VENV (/opt/heat-capsule/horizon-venv),
# HC_ALLINONE_DASHBOARD_PORT (8080).

DASHBOARD_VENV=${HC_ALLINONE_DASHBOARD_VENV:-/opt/heat-capsule/horizon-venv}
DASHBOARD_PORT=${HC_ALLINONE_DASHBOARD_PORT:-8080}
DASHBOARD_URL=http://$HOST:$DASHBOARD_PORT
DASHBOARD_DIR=$STATE/horizon

dashboard_ok() { http_ok "$DASHBOARD_URL/auth/login/"; }

# Horizon's package directory (openstack_dashboard) in the dashboard venv.
dashboard_site() {
    "$DASHBOARD_VENV/bin/python" -c \
        'import os, openstack_dashboard as d; print(os.path.dirname(d.__file__))'
}

install_dashboard() {
    local constraints=$DASHBOARD_VENV/upper-constraints.txt stamp wanted
    if [ ! -x "$DASHBOARD_VENV/bin/python" ]; then
        log "creating the dashboard's virtualenv $DASHBOARD_VENV"
        python3 -m venv "$DASHBOARD_VENV"
    fi
    # The project's constraints less Horizon's pin (dashboard/requirements.txt
    # says why).
    python3 "$repo/tools/constraints.py" | grep -v '^horizon===' \
        > "$constraints"
    stamp=$DASHBOARD_VENV/.heat-capsule-dashboard
    wanted=$(cat "$here/dashboard/requirements.txt" "$constraints" | \
        sha256sum | cut -c1-16)
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
        log "installing Horizon, heat-dashboard and zun-ui (pip's output:" \
            "log/dashboard-pip.log)"
        "$DASHBOARD_VENV/bin/pip" install -q -c "$constraints" \
            -r "$here/dashboard/requirements.txt" \
            >"$STATE/log/dashboard-pip.log" 2>&1 || {
            tail -n 20 "$STATE/log/dashboard-pip.log" >&2
            die "pip failed; see $STATE/log/dashboard-pip.log"
        }
        echo "$wanted" > "$stamp"
    fi
}

# The plugins' "enabled" files, settings snippet and policy files where
# Horizon looks for them (as devstack's plugins install them), and ours.
# zun-ui: the project's Containers and Capsules panels only; its Cloud
# Shell and admin panels need Zun APIs the engine does not offer.
link_dashboard_plugins() {
    local site=$1 lib file
    lib=$(dirname "$site")
    for file in "$lib"/heat_dashboard/enabled/_16[0-9]0_*.py \
        "$lib"/zun_ui/enabled/_133[0-2]_*.py; do
        ln -sfn "$file" "$site/local/enabled/$(basename "$file")"
    done
    ln -sfn \
        "$lib/heat_dashboard/local_settings.d/_1699_orchestration_settings.py" \
        "$site/local/local_settings.d/_1699_orchestration_settings.py"
    ln -sfn "$here/dashboard/_90_heat_capsule.py" \
        "$site/local/local_settings.d/_9000_heat_capsule.py"
    ln -sfn "$here/dashboard/allinone_urls.py" "$site/local/allinone_urls.py"
    mkdir -p "$site/conf/default_policies"
    cp "$lib/heat_dashboard/conf/heat_policy.yaml" "$site/conf/"
    cp "$lib/heat_dashboard/conf/default_policies/heat.yaml" \
        "$site/conf/default_policies/"
    ln -sfn "$STATE/etc/horizon/local_settings.py" \
        "$site/local/local_settings.py"
}

write_dashboard_settings() {
    local key_file=$STATE/etc/horizon/secret_key
    mkdir -p "$STATE/etc/horizon" "$DASHBOARD_DIR/static"
    if [ ! -s "$key_file" ]; then
        (umask 077
         od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$key_file")
    fi
    cat > "$STATE/etc/horizon/local_settings.py" <<EOF
# Written by allinone/dashboard.sh; rewritten at every run.
# Served by gunicorn on $DASHBOARD_URL/ (a change restarts it).
DEBUG = False
ALLOWED_HOSTS = ['$HOST', 'localhost']
with open('$key_file') as _key:
    SECRET_KEY = _key.read().strip()
OPENSTACK_HOST = '$HOST'
OPENSTACK_KEYSTONE_URL = '$KEYSTONE_URL'
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
OPENSTACK_ENDPOINT_TYPE = 'publicURL'
SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'
CACHES = {'default': {
    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
STATIC_ROOT = '$DASHBOARD_DIR/static'
COMPRESS_OFFLINE = True
TIME_ZONE = 'UTC'
LOGGING = {'version': 1, 'disable_existing_loggers': False,
           'handlers': {'console': {'class': 'logging.StreamHandler'}},
           'root': {'handlers': ['console'], 'level': 'WARNING'}}
EOF
}

django_admin() {
    (cd "$DASHBOARD_DIR" &&
        DJANGO_SETTINGS_MODULE=openstack_dashboard.settings \
        "$DASHBOARD_VENV/bin/django-admin" "$@")
}

# collectstatic and the offline compression of Horizon's SCSS and JS, again
# only when the packages or the settings changed.
build_dashboard_static() {
    local print=$1
    if [ "$(cat "$STATE/stamps/dashboard-static" 2>/dev/null || true)" \
        = "$print" ]; then
        return 0
    fi
    log "collecting and compressing Horizon's static files" \
        "(log/dashboard-static.log)"
    if ! { django_admin collectstatic --noinput --clear -v 0 &&
            django_admin compress --force -v 0; } \
            >"$STATE/log/dashboard-static.log" 2>&1; then
        tail -n 20 "$STATE/log/dashboard-static.log" >&2
        die "building the static files failed; see" \
            "$STATE/log/dashboard-static.log"
    fi
    echo "$print" > "$STATE/stamps/dashboard-static"
}

start_dashboard() {
    local out=$STATE/log/dashboard.log site print
    require_root dashboard
    make_dirs
    keystone_ok || die "Keystone does not answer at $KEYSTONE_URL" \
        "(bash tools/allinone.sh start)"
    install_dashboard
    site=$(dashboard_site)
    write_dashboard_settings
    link_dashboard_plugins "$site"
    print=$(fingerprint "$STATE/etc/horizon/local_settings.py" \
        "$here"/dashboard/*.py "$DASHBOARD_VENV/.heat-capsule-dashboard")
    build_dashboard_static "$print"
    if ! reuse dashboard "$print"; then
        check_port_free "$DASHBOARD_PORT" "the dashboard"
        launch dashboard "$out" env -C "$DASHBOARD_DIR" \
            DJANGO_SETTINGS_MODULE=openstack_dashboard.settings \
            "$DASHBOARD_VENV/bin/gunicorn" --bind "$HOST:$DASHBOARD_PORT" \
            --workers 1 --worker-class gthread --threads 4 --timeout 120 \
            openstack_dashboard.wsgi:application
        wait_healthy dashboard 120 "$out"
        record_fingerprint dashboard "$print"
    fi
}

# The address and the credentials, as summary() prints the CLI's.
dashboard_summary() {
    local demo_pw admin_pw
    demo_pw=$(sed -n 's/^DEMO_PASSWORD=//p' "$STATE/secrets")
    admin_pw=$(sed -n 's/^ADMIN_PASSWORD=//p' "$STATE/secrets")
    log "the dashboard is up, on $HOST only:"
    cat <<EOF
    dashboard:   $DASHBOARD_URL/  (Horizon + heat-dashboard + zun-ui)
    log in as:   demo / $demo_pw   (domain Default; as in $STATE/openrc)
                 admin / $admin_pw   (as in $STATE/admin-openrc)
    lands on:    Project > Orchestration > Stacks; capsules: Project > Container > Capsules
    log:         $STATE/log/dashboard.log
    stop:        bash tools/allinone.sh dashboard stop
EOF
}

stop_dashboard() {
    require_root "dashboard stop"
    stop_service dashboard TERM 30
}

dashboard_main() {
    case "${1:-start}" in
        start) start_dashboard; dashboard_summary ;;
        stop) stop_dashboard ;;
        check) running_pid dashboard >/dev/null && dashboard_ok ;;
        *) die "unknown dashboard command '$1' (start, stop, check)" ;;
    esac
}
