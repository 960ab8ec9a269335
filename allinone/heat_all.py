"""Heat's REST API and its engine in one process, with no message broker.

Heat 27 ships ``heat-engine`` and the WSGI module ``heat.wsgi.api`` but no
``heat-api`` server and no ``heat-all``. On one machine the two halves can
share a process: the engine service (convergence workers included) runs on
oslo.service's threading backend, the API is the paste application from
``api-paste.ini`` served by cheroot (a real threaded WSGI server, already a
dependency of heat-capsule-engine), and RPC between them goes through
oslo.messaging's in-process ``fake://`` transport. That saves a RabbitMQ
broker and a second Python process (about 250 MiB).

Usage (allinone/allinone.sh starts it)::

    python heat_all.py --config-file heat.conf

The API listens on ``[allinone] listen``:``[allinone] port`` (127.0.0.1:8004
by default) and only once the engine has started, so an answering API means
a working Heat. SIGTERM or SIGINT stops the API, then the engine (which lets
running stack operations finish), then the process.
"""

import signal
import sys
import threading

# The backend must be chosen before anything imports oslo.service's users.
from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

from cheroot import wsgi as cheroot_wsgi  # noqa: E402
from oslo_config import cfg  # noqa: E402
import oslo_i18n  # noqa: E402
from oslo_log import log as logging  # noqa: E402

from heat.common import config  # noqa: E402
from heat.common import messaging  # noqa: E402
from heat.rpc import api as rpc_api  # noqa: E402
from heat import version  # noqa: E402

LOG = logging.getLogger('heat-all')

OPTS = [
    cfg.HostAddressOpt('listen', default='127.0.0.1',
                       help='Address the Heat API listens on.'),
    cfg.PortOpt('port', default=8004, help='Port the Heat API listens on.'),
    cfg.IntOpt('threads', default=8, min=2,
               help='Threads of the API server.'),
]


def main(argv=None):
    oslo_i18n.enable_lazy()
    conf = cfg.CONF
    conf.register_opts(OPTS, group='allinone')
    logging.register_options(conf)
    conf(sys.argv[1:] if argv is None else argv, project='heat',
         prog='heat-all', version=version.version_info.version_string())
    logging.setup(conf, 'heat-all')
    logging.set_defaults()
    config.set_config_defaults()
    messaging.setup()   # registers and reads [DEFAULT] transport_url
    if not (conf.transport_url or '').startswith('fake:'):
        LOG.warning('transport_url is not fake://: heat-all needs no '
                    'broker, every RPC call stays in this process')

    # Registers the engine's options (auth_encryption_key among them), so
    # it comes before the sanity check.
    from heat.engine import service as engine_service
    config.startup_sanity_check()

    engine = engine_service.EngineService(conf.host, rpc_api.ENGINE_TOPIC)
    engine.start()
    LOG.info('Heat engine %s started', engine.engine_id)

    app = config.load_paste_app('heat-api')
    server = cheroot_wsgi.Server(
        (conf.allinone.listen, conf.allinone.port), app,
        numthreads=conf.allinone.threads, request_queue_size=64,
        server_name='heat-all')

    stopping = threading.Event()

    def stop(signum, _frame):
        if not stopping.is_set():
            stopping.set()
            LOG.info('Signal %s: stopping the API, then the engine', signum)
            threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    LOG.info('Heat API listening on http://%s:%s/',
             conf.allinone.listen, conf.allinone.port)
    try:
        server.start()
    finally:
        engine.stop()
        LOG.info('heat-all stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
