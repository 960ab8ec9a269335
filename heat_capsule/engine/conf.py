"""Configuration options of heat-capsule-engine (oslo.config)."""

import os

from oslo_config import cfg

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
    cfg.BoolOpt('advertise_extensions', default=True,
                help='Whether the version document (GET /) lists the '
                     'engine\'s extensions of Zun\'s API in '
                     'versions[].extensions. OS::Zun::Capsule uses an '
                     'extension (e.g. a container healthcheck) only when '
                     'it is listed; false makes the engine look like a '
                     'plain Zun to it, to try a template meant for Zun.'),
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
               help='Docker bridge network that capsules attach to.'),
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
]


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_opts(api_opts, group='api')
    conf.register_opts(database_opts, group='database')
    conf.register_opts(runtime_opts, group='runtime')


def database_url(conf):
    if conf.database.connection:
        return conf.database.connection
    os.makedirs(conf.state_dir, exist_ok=True)
    return 'sqlite:///' + os.path.join(conf.state_dir, 'engine.sqlite')


def list_opts():
    """Entry point for oslo-config-generator."""
    return [('DEFAULT', default_opts), ('api', api_opts),
            ('database', database_opts), ('runtime', runtime_opts)]
