"""``heat-capsule-engine``: the API and the runtime in one process."""

import signal
import sys
import threading

from cheroot import wsgi as cheroot_wsgi
from oslo_config import cfg
from oslo_log import log as logging

from heat_capsule.engine import auth
from heat_capsule.engine import conf as conf_mod
from heat_capsule.engine import deploy
from heat_capsule.engine import heap
from heat_capsule.engine import service

LOG = logging.getLogger(__name__)


def prepare(argv=None, conf=None, setup_logging=True):
    """Parse the command line and configuration files.

    ``setup_logging=False`` leaves the process's logging alone (a test or
    tool reading an engine's configuration).
    """
    conf = conf or cfg.ConfigOpts()
    conf_mod.register_opts(conf)
    logging.register_options(conf)
    conf(argv if argv is not None else sys.argv[1:],
         project='heat-capsule', prog='heat-capsule-engine')
    if setup_logging:
        logging.setup(conf, 'heat-capsule-engine')
    return conf


def build(conf):
    """Database (migrated), runtime and WSGI app for this process."""
    services = service.make_services(conf)
    services.db.upgrade()
    reconciler = None
    if conf.runtime.enabled:
        reconciler = service.make_runtime(conf, services.db)
        services.runtime = reconciler
    return services, reconciler, deploy.make_app(services)


def _skip_ssh_transport(conf):
    """Keep the docker SDK from importing paramiko when it is not used.

    The SDK imports paramiko (and cryptography) whenever it is installed,
    for ssh:// Docker URLs; that is a third of a noauth engine's memory.
    Unless the engine talks to Docker over ssh, mark it unavailable before
    the SDK is imported, which makes the SDK skip it.
    """
    if not conf.runtime.docker_url.startswith('ssh://'):
        sys.modules.setdefault('paramiko', None)


def main(argv=None):
    conf = prepare(argv)
    try:
        auth.check_exposure(conf)
    except auth.InsecureNoauth as e:
        LOG.error('%s', e)
        print('heat-capsule-engine: %s' % e, file=sys.stderr)
        return 2
    _skip_ssh_transport(conf)
    services, reconciler, app = build(conf)
    server = cheroot_wsgi.Server(
        (conf.api.listen, conf.api.port), app,
        numthreads=conf.api.workers_threads,
        # cheroot's default listen backlog (5) resets bursts of clients.
        request_queue_size=256,
        server_name='heat-capsule-engine')
    # The start-up heap is never garbage: out of the collector's way.
    heap.settle()
    if reconciler is not None:
        reconciler.start()

    stopping = threading.Event()

    def _stop(signum, _frame):
        if not stopping.is_set():
            stopping.set()
            LOG.info('Signal %s: stopping', signum)
            threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    LOG.info('heat-capsule-engine listening on http://%s:%s/ (auth %s, '
             'runtime %s)', conf.api.listen, conf.api.port,
             conf.api.auth_strategy,
             'on' if reconciler is not None else 'off')
    try:
        server.start()
    finally:
        if reconciler is not None:
            reconciler.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
