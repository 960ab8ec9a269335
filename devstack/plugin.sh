# shellcheck shell=bash
# heat-capsule's devstack plugin: OS::Zun::Capsule for Heat, and
# heat-capsule-engine (a Zun-compatible capsule API on Docker) as the
# devstack service "hc-engine".
#
#   stack pre-install   Docker (docker.io) and busybox-static if missing
#   stack install       the package (setup_develop: devstack's venv or global)
#   stack post-config   the engine's config, its Keystone user, the
#                       "container" endpoint when Zun is not enabled, and
#                       Heat: resources/ linked into its plugin directory
#                       under a unique name, plugin_dirs merged (never
#                       overwritten)
#   stack extra         local images, start hc-engine (heat-engine is not
#                       restarted: Heat's own extra phase, which runs first,
#                       starts it after post-config linked resources/, so it
#                       loads OS::Zun::Capsule at its first start)
#   unstack / clean     stop hc-engine / remove what post-config made and
#                       every Docker object labelled with the engine's
#                       instance (containers, volumes, its network)
#
# Devstack sources this file with its function library loaded (iniset,
# iniget, run_process, ...) and with settings already read.
# shellcheck disable=SC2154  # devstack's globals (DEST, DATA_DIR, ...)

_XTRACE_HEAT_CAPSULE=$(set +o | grep xtrace)
set -o xtrace

function heat_capsule_bin_dir {
    get_python_exec_prefix
}

function install_heat_capsule_host_packages {
    if ! command -v docker >/dev/null 2>&1; then
        # devstack-plugin-container installs Docker when it is enabled;
        # otherwise Debian/Ubuntu's docker.io will do.
        install_package docker.io
        sudo systemctl enable --now docker
    fi
    # The busybox image the templates use is built from the static binary.
    install_package busybox-static
}

function install_heat_capsule {
    setup_develop "$HEAT_CAPSULE_DIR"
}

function heat_capsule_register_endpoint_wanted {
    case "$HEAT_CAPSULE_REGISTER_ENDPOINT" in
        True|true|yes|1) return 0 ;;
        False|false|no|0) return 1 ;;
    esac
    # auto: Zun registers the "container" service itself.
    ! is_service_enabled zun-api
}

function create_heat_capsule_accounts {
    create_service_user "$HEAT_CAPSULE_SERVICE_USER"
    if heat_capsule_register_endpoint_wanted; then
        get_or_create_service "heat-capsule" "container" \
            "heat-capsule-engine: Zun-compatible capsules on Docker"
        get_or_create_endpoint "container" "$REGION_NAME" \
            "$HEAT_CAPSULE_SERVICE_PROTOCOL://$HEAT_CAPSULE_SERVICE_HOST:$HEAT_CAPSULE_SERVICE_PORT/v1"
    fi
}

function configure_heat_capsule_engine {
    sudo install -d -o "$STACK_USER" "$HEAT_CAPSULE_CONF_DIR"
    sudo install -d -o "$STACK_USER" "$HEAT_CAPSULE_STATE_DIR"
    rm -f "$HEAT_CAPSULE_CONF"

    iniset "$HEAT_CAPSULE_CONF" DEFAULT debug "$ENABLE_DEBUG_LOG_LEVEL"
    iniset "$HEAT_CAPSULE_CONF" DEFAULT state_dir "$HEAT_CAPSULE_STATE_DIR"
    iniset "$HEAT_CAPSULE_CONF" api listen "$HEAT_CAPSULE_LISTEN_ADDRESS"
    iniset "$HEAT_CAPSULE_CONF" api port "$HEAT_CAPSULE_SERVICE_PORT"
    iniset "$HEAT_CAPSULE_CONF" api auth_strategy keystone
    iniset "$HEAT_CAPSULE_CONF" runtime instance_name "$HEAT_CAPSULE_INSTANCE"
    iniset "$HEAT_CAPSULE_CONF" runtime network_name "$HEAT_CAPSULE_NETWORK"
    iniset "$HEAT_CAPSULE_CONF" isolation subnet_pool "$HEAT_CAPSULE_SUBNET_POOL"
    if [[ "$HEAT_CAPSULE_USE_DEVSTACK_DB" == "True" ]]; then
        recreate_database heat_capsule
        iniset "$HEAT_CAPSULE_CONF" database connection \
            "$(database_connection_url heat_capsule)"
    fi
    configure_keystone_authtoken_middleware "$HEAT_CAPSULE_CONF" \
        "$HEAT_CAPSULE_SERVICE_USER"
}

# Link resources/ into Heat's plugin directory and add that directory to
# plugin_dirs, keeping whatever is there (or Heat's default list).
function configure_heat_for_heat_capsule {
    local heat_conf=${HEAT_CONF:-/etc/heat/heat.conf}
    local plugin_dir=$HEAT_CAPSULE_HEAT_PLUGIN_DIR
    local current merged

    if [[ ! -f "$heat_conf" ]]; then
        die $LINENO "$heat_conf does not exist: list 'enable_plugin heat'" \
            "before 'enable_plugin heat-capsule' in local.conf"
    fi
    mkdir -p "$plugin_dir"
    ln -sfn "$HEAT_CAPSULE_DIR/resources" \
        "$plugin_dir/$HEAT_CAPSULE_HEAT_PLUGIN_NAME"

    current=$(iniget "$heat_conf" DEFAULT plugin_dirs)
    if [[ -z "$current" ]]; then
        current=$HEAT_CAPSULE_HEAT_DEFAULT_PLUGIN_DIRS
    fi
    if [[ ",$current," == *",$plugin_dir,"* ]]; then
        merged=$current
    else
        merged="$current,$plugin_dir"
    fi
    iniset "$heat_conf" DEFAULT plugin_dirs "$merged"
}

function build_heat_capsule_images {
    # The engine's sandbox image and busybox:latest, without a registry.
    sudo "$(heat_capsule_bin_dir)/heat-capsule-images"
}

function start_heat_capsule {
    local url="$HEAT_CAPSULE_SERVICE_PROTOCOL://$HEAT_CAPSULE_SERVICE_HOST:$HEAT_CAPSULE_SERVICE_PORT/"
    # As root: the engine talks to the Docker socket.
    run_process hc-engine \
        "$(heat_capsule_bin_dir)/heat-capsule-engine --config-file $HEAT_CAPSULE_CONF" \
        "" root
    if ! wait_for_service "$SERVICE_TIMEOUT" "$url"; then
        die $LINENO "hc-engine did not answer on $url"
    fi
}

function stop_heat_capsule {
    stop_process hc-engine
}

function cleanup_heat_capsule {
    rm -f "$HEAT_CAPSULE_HEAT_PLUGIN_DIR/$HEAT_CAPSULE_HEAT_PLUGIN_NAME"
    sudo rm -rf "$HEAT_CAPSULE_CONF_DIR" "$HEAT_CAPSULE_STATE_DIR"
    # Everything the engine labelled with its instance name (and nothing
    # of another engine's): capsule containers, then volumes, then its
    # bridge network, which only empties once the containers are gone.
    if command -v docker >/dev/null 2>&1; then
        local owner="label=io.heat-capsule.engine=$HEAT_CAPSULE_INSTANCE"
        sudo docker ps -aq --filter "$owner" | xargs -r sudo docker rm -f
        sudo docker volume ls -q --filter "$owner" \
            | xargs -r sudo docker volume rm -f
        sudo docker network ls -q --filter "$owner" \
            | xargs -r sudo docker network rm
    fi
}

if [[ "$1" == "stack" && "$2" == "pre-install" ]]; then
    echo_summary "Installing heat-capsule's host packages"
    install_heat_capsule_host_packages

elif [[ "$1" == "stack" && "$2" == "install" ]]; then
    echo_summary "Installing heat-capsule"
    install_heat_capsule

elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
    echo_summary "Configuring heat-capsule"
    if is_service_enabled hc-engine; then
        configure_heat_capsule_engine
        if is_service_enabled key; then
            create_heat_capsule_accounts
        fi
    fi
    configure_heat_for_heat_capsule

elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
    if is_service_enabled hc-engine; then
        echo_summary "Starting heat-capsule-engine"
        build_heat_capsule_images
        start_heat_capsule
    fi
fi

if [[ "$1" == "unstack" ]]; then
    stop_heat_capsule
fi

if [[ "$1" == "clean" ]]; then
    cleanup_heat_capsule
fi

$_XTRACE_HEAT_CAPSULE
