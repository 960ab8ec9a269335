"""Configuration options of heat-capsule-engine (oslo.config)."""

import os

from oslo_config import cfg

from heat_capsule.engine.runtime import security

DEFAULT_STATE_DIR = os.path.join(os.path.expanduser('~'), '.local', 'state',
                                 'heat-capsule')

default_opts = [
    cfg.StrOpt('state_dir', default=DEFAULT_STATE_DIR,
               help='Directory for the engine state (the default sqlite '
                    'database lives here).'),
]

api_opts = [
    cfg.HostAddressOpt('listen', default='127.0.0.1',
                       help='Address the API listens on.'),
    cfg.PortOpt('port', default=9517, help='Port the API listens on.'),
    cfg.StrOpt('auth_strategy', default='noauth',
               choices=[('noauth', 'trust X-Project-Id/X-User-Id/X-Roles '
                                   'headers and accept any token'),
                        ('keystone', 'validate tokens with keystonemiddleware '
                                     'auth_token')],
               help='How API requests are authenticated.'),
    cfg.StrOpt('noauth_project_id', default='demo',
               help='Project of a noauth request without X-Project-Id.'),
    cfg.StrOpt('noauth_user_id', default='demo',
               help='User of a noauth request without X-User-Id.'),
    cfg.ListOpt('noauth_roles', default=['member'],
                help='Roles of a noauth request without X-Roles.'),
    cfg.IntOpt('max_limit', default=1000, min=1,
               help='Largest page a capsule list returns.'),
    cfg.IntOpt('max_request_body_size', default=1024 * 1024, min=1024,
               help='Largest request body accepted, in bytes (413 above).'),
    cfg.IntOpt('workers_threads', default=32, min=2,
               help='Threads of the WSGI server.'),
    cfg.StrOpt('public_endpoint',
               help='Base URL advertised in links, when the engine sits '
                    'behind a proxy. Defaults to the request host URL.'),
    cfg.BoolOpt('allow_insecure_noauth', default=False,
                help='Let the engine start with auth_strategy = noauth on a '
                     '"listen" address that is not loopback. In noauth mode '
                     'any caller names its own project and roles (admin '
                     'included), so without this option the engine refuses '
                     'to start that way; with it, it logs a WARNING at '
                     'start and at the first request from each client '
                     'address.'),
]

database_opts = [
    cfg.StrOpt('connection', secret=True,
               help='SQLAlchemy URL. Defaults to sqlite:///<state_dir>/'
                    'engine.sqlite.'),
]

runtime_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Run the Docker runtime and reconciler in the API '
                     'process.'),
    cfg.StrOpt('docker_url', default='unix:///var/run/docker.sock',
               help='Docker engine API URL.'),
    cfg.StrOpt('sandbox_image', default='heat-capsule/sandbox:1',
               help='Image of the container that holds a capsule\'s network '
                    'and IPC namespaces. Built locally when missing and it '
                    'is the default.'),
    cfg.StrOpt('instance_name', default='heat-capsule',
               help='Name of this engine on the Docker host. Every Docker '
                    'object the engine makes is labelled with it, and the '
                    'engine only ever manages (or garbage-collects) objects '
                    'carrying its own name, so several engines can share '
                    'one Docker host.'),
    cfg.StrOpt('network_name', default='heat-capsule',
               help='Docker bridge network that every capsule attached to '
                    'before per-project networks ([isolation]). Capsules '
                    'still on it keep running there and move to their '
                    'project\'s network when their sandbox next starts; it '
                    'is removed once empty.'),
    cfg.IntOpt('sync_workers', default=16, min=1,
               help='Threads that run capsule syncs.'),
    cfg.IntOpt('resync_interval', default=30, min=1,
               help='Seconds between full resyncs, a safety net behind '
                    'Docker events.'),
    cfg.IntOpt('create_timeout', default=600, min=1,
               help='Seconds a capsule may spend creating (waiting for '
                    'Docker, pulling, init containers) before it goes to '
                    'Error.'),
    cfg.IntOpt('log_tail_lines', default=10, min=1,
               help='Log lines of a failed init container quoted in the '
                    'capsule status_reason.'),
    cfg.IntOpt('shutdown_timeout', default=30, min=0,
               help='Seconds a stopping engine waits for the capsule syncs '
                    'in flight (a create, start or delete step under way) '
                    'to finish before it exits. A sync still running then '
                    'is finished by the next start of the engine.'),
    cfg.HostAddressOpt('publish_address', default='127.0.0.1',
                       help='Host address capsule ports are published on '
                            '(ports[].hostPort, or an ephemeral host port). '
                            'The default reaches them from this host only; '
                            '0.0.0.0 (or a public address) exposes every '
                            'capsule port to whoever can reach the host, '
                            'past the capsule\'s project network, and '
                            'Docker\'s own iptables rules let that through '
                            'a host firewall.'),
    cfg.BoolOpt('allow_privileged_host_ports', default=False,
                help='Accept ports[].hostPort below 1024. Docker binds them '
                     'as root, so a tenant could otherwise take a host '
                     'service\'s port (ssh, http) before it starts.'),
]


isolation_opts = [
    cfg.StrOpt('subnet_pool', default='10.230.0.0/16',
               help='IPv4 range the subnets of project networks are cut '
                    'from (each project\'s capsules get a Docker bridge '
                    'network of their own). It must not overlap a network '
                    'the host routes to. When every block is in use, a '
                    'capsule of a project without a network yet goes to '
                    'Error saying so.'),
    cfg.IntOpt('subnet_prefix', default=24, min=8, max=30,
               help='Prefix length of each project network\'s subnet (/24: '
                    '253 capsules per project, 256 projects in a /16).'),
    cfg.ListOpt('capabilities',
                item_type=cfg.types.String(choices=security.DOCKER_DEFAULT,
                                           type_name='capability'),
                default=list(security.DEFAULT),
                help='Linux capabilities init and app containers keep; '
                     'every other one is dropped (CapDrop ALL). Only names '
                     'from Docker\'s default set are accepted. The default is '
                     'Docker\'s set without NET_RAW, MKNOD, AUDIT_WRITE and '
                     'SETFCAP; NET_BIND_SERVICE alone matches Kubernetes\' '
                     'restricted profile. Sandboxes keep none.'),
    cfg.BoolOpt('no_new_privileges', default=True,
                help='Run every capsule container with Docker\'s '
                     'no-new-privileges (setuid binaries and file '
                     'capabilities grant nothing).'),
]


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_opts(api_opts, group='api')
    conf.register_opts(database_opts, group='database')
    conf.register_opts(runtime_opts, group='runtime')
    conf.register_opts(isolation_opts, group='isolation')


def database_url(conf):
    if conf.database.connection:
        return conf.database.connection
    os.makedirs(conf.state_dir, exist_ok=True)
    return 'sqlite:///' + os.path.join(conf.state_dir, 'engine.sqlite')


def list_opts():
    """Entry point for oslo-config-generator."""
    return [('DEFAULT', default_opts), ('api', api_opts),
            ('database', database_opts), ('runtime', runtime_opts),
            ('isolation', isolation_opts)]
