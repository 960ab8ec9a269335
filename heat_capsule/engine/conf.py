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
    cfg.IntOpt('default_termination_grace_period', default=10, min=0,
               max=86400,
               help='Seconds a capsule\'s containers get, when it is '
                    'deleted, between their stop signal (the image\'s '
                    'STOPSIGNAL, else SIGTERM) and SIGKILL, unless its '
                    'template sets spec.terminationGracePeriodSeconds. '
                    'Docker\'s own "docker stop" default: long enough for '
                    'a program that handles SIGTERM to flush its state, '
                    'short enough that deleting a capsule whose PID 1 '
                    'ignores SIGTERM (a shell, or sleep) costs 10 s, not '
                    'the 30 s of Kubernetes. 0 kills at once, as Zun '
                    'does. Capped by max_termination_grace_period.'),
    cfg.IntOpt('max_termination_grace_period', default=300, min=0,
               max=86400,
               help='Largest spec.terminationGracePeriodSeconds a template '
                    'may ask for (a larger one is a 400): a capsule being '
                    'deleted keeps its containers, ports and volumes for '
                    'that long.'),
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

# Per-project quotas: Zun's [quota] options, names and defaults. Rows set
# through the quota API (or the 'default' quota class) take precedence.
quota_opts = [
    cfg.IntOpt('containers', default=40, min=-1,
               help='Containers a project may have (every init and app '
                    'container of its capsules counts). -1: unlimited.'),
    cfg.IntOpt('memory', default=50 * 1024, min=-1,
               help='MiB of memory a project\'s capsules may request in '
                    'total. -1: unlimited.'),
    cfg.IntOpt('cpu', default=20, min=-1,
               help='CPUs a project\'s capsules may request in total. '
                    '-1: unlimited.'),
    cfg.IntOpt('disk', default=100, min=-1,
               help='GiB of volumes a project\'s capsules may have created '
                    '(kept volumes included). -1: unlimited.'),
]

# The Docker host as a compute node (Zun's [compute] names and defaults)
# and the requests a container without any gets (Kubernetes' LimitRange).
compute_opts = [
    cfg.FloatOpt('cpu_allocation_ratio', default=16.0, min=0.0,
                 help='Requested CPUs allowed per CPU of the Docker host '
                      '(Zun\'s initial_cpu_allocation_ratio).'),
    cfg.FloatOpt('ram_allocation_ratio', default=1.5, min=0.0,
                 help='Requested memory allowed per MiB of the Docker '
                      'host\'s memory (Zun\'s initial_ram_allocation_ratio).'),
    cfg.IntOpt('reserved_host_cpus', default=0, min=0,
               help='CPUs of the Docker host kept out of what capsules may '
                    'request.'),
    cfg.IntOpt('reserved_host_memory_mb', default=512, min=0,
               help='MiB of the Docker host\'s memory kept out of what '
                    'capsules may request.'),
    cfg.IntOpt('host_cpus', min=1,
               help='CPUs of the Docker host. Default: what Docker reports '
                    '(docker info NCPU).'),
    cfg.IntOpt('host_memory_mb', min=1,
               help='MiB of memory of the Docker host. Default: what Docker '
                    'reports (docker info MemTotal).'),
    cfg.FloatOpt('default_cpu', default=0.5, min=0.0, max=16.0,
                 help='CPUs given to a container whose template has no '
                      'resources.requests.cpu: applied as its Docker CPU '
                      'limit and counted against quota and capacity. 0: '
                      'none (no CPU limit, counted as 0).'),
    cfg.IntOpt('default_memory', default=256, min=0, max=8192,
               help='MiB given to a container whose template has no '
                    'resources.requests.memory: applied as its Docker '
                    'memory limit and counted against quota and capacity. '
                    '0: none (no memory limit, counted as 0).'),
]

# What one container or capsule may take of the host: per-container PIDs and
# log caps that Docker enforces, and a bound on ports per capsule checked at
# create time (heat_capsule.engine.runtime.limits,
# heat_capsule.engine.capsule_limits).
limits_opts = [
    cfg.IntOpt('pids_limit', default=1024, min=1,
               help='Most processes (and threads) each container of a '
                    'capsule (sandbox, init and app containers) may run at '
                    'once: Docker\'s PidsLimit. A fork or thread that '
                    'would go over fails inside the container (EAGAIN); '
                    'the host and other capsules are unaffected.'),
    cfg.IntOpt('log_max_size', default=10, min=1,
               help='MiB a container\'s json-file log may reach before '
                    'Docker rotates it (log option max-size).'),
    cfg.IntOpt('log_max_files', default=3, min=1,
               help='Log files Docker keeps per container, the current one '
                    'included (log option max-file); the oldest is '
                    'dropped. A container\'s log thus takes at most about '
                    'log_max_size * log_max_files MiB, and the logs call '
                    'returns only what is still kept.'),
    cfg.IntOpt('max_ports_per_capsule', default=32, min=0,
               help='Most ports a capsule template may declare, counting '
                    'every ports item of its containers and init '
                    'containers. Each distinct port is published through '
                    'its own docker-proxy process (about 3 MiB each). '
                    'Above it a create is a 400 naming the first port '
                    'over the limit.'),
]


def register_opts(conf):
    conf.register_opts(default_opts)
    conf.register_opts(api_opts, group='api')
    conf.register_opts(database_opts, group='database')
    conf.register_opts(runtime_opts, group='runtime')
    conf.register_opts(isolation_opts, group='isolation')
    conf.register_opts(quota_opts, group='quota')
    conf.register_opts(compute_opts, group='compute')
    conf.register_opts(limits_opts, group='limits')


def database_url(conf):
    if conf.database.connection:
        return conf.database.connection
    os.makedirs(conf.state_dir, exist_ok=True)
    return 'sqlite:///' + os.path.join(conf.state_dir, 'engine.sqlite')


def list_opts():
    """Entry point for oslo-config-generator."""
    return [('DEFAULT', default_opts), ('api', api_opts),
            ('database', database_opts), ('runtime', runtime_opts),
            ('isolation', isolation_opts), ('quota', quota_opts),
            ('compute', compute_opts), ('limits', limits_opts)]
