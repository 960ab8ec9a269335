"""Run a heat-capsule engine for tests: in-process or as the real command.

Every test engine gets its own state directory and instance name, so it never
touches another engine's capsules (the all-in-one's, or a parallel test
run's), nor their networks: each engine makes one network per project, named
after its instance, with a /24 of ``[isolation] subnet_pool`` (the default
pool, which the engines of one Docker host share; each takes free blocks).
Every instance name is
registered with :mod:`tests.support.leaks`, whose check at the end of the
session fails the run if anything of these engines is still in Docker.
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import requests
from oslo_config import cfg

from heat_capsule.engine import cmd
from heat_capsule.engine import service
from tests.support import leaks
from tests.support import schema

BUSYBOX = 'busybox:latest'
# For load tests and benchmarks: no quota, and no default requests (raw
# Docker, which the benchmarks compare against, has none either), so the
# host's capacity never refuses their many small capsules.
NO_QUOTA_CONF = ('[quota]\ncontainers = -1\nmemory = -1\ncpu = -1\n'
                 'disk = -1\n[compute]\ndefault_cpu = 0\n'
                 'default_memory = 0\n')
NO_QUOTA_OVERRIDES = {'quota': {'containers': -1, 'memory': -1, 'cpu': -1,
                                'disk': -1},
                      'compute': {'default_cpu': 0, 'default_memory': 0}}
# [runtime] default_termination_grace_period of test engines. Nearly every
# test capsule runs a PID 1 that ignores SIGTERM (sleep, sh, httpd), so each
# delete waits out the whole grace period: 1 s keeps the stop sequence in
# every delete of the suite without the product's 10 s each. The graceful
# delete tests set their own periods; benchmarks pass None (the default).
TEST_GRACE_PERIOD = 1


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def ensure_test_images():
    """busybox:latest and the sandbox image, built locally when missing."""
    import docker

    from heat_capsule.engine.runtime import images
    client = docker.from_env()
    try:
        client.images.get(BUSYBOX)
    except docker.errors.ImageNotFound:
        images.build_busybox_image(client, BUSYBOX)
    return client


def config_text(state_dir, port, instance, extra='', resync_interval=5,
                grace_period=TEST_GRACE_PERIOD):
    """The engine's configuration; `extra` lands in ``[runtime]`` unless it
    opens sections of its own; `grace_period` None keeps the product's
    default_termination_grace_period."""
    grace = '' if grace_period is None else (
        'default_termination_grace_period = %d\n' % grace_period)
    return (
        '[DEFAULT]\nstate_dir = %(state)s\ndebug = false\n'
        'log_file = %(state)s/engine.log\n'
        '[api]\nport = %(port)d\n'
        '[runtime]\n'
        'instance_name = %(instance)s\nresync_interval = %(resync)d\n'
        '%(grace)s%(extra)s\n'
        % {'state': state_dir, 'port': port, 'instance': instance,
           'extra': extra, 'resync': resync_interval, 'grace': grace})


def write_config(state_dir, port, instance, extra='', resync_interval=5,
                 grace_period=TEST_GRACE_PERIOD):
    path = os.path.join(state_dir, 'engine.conf')
    with open(path, 'w') as handle:
        handle.write(config_text(state_dir, port, instance, extra,
                                 resync_interval, grace_period))
    return path


def new_instance():
    """A fresh engine instance name, registered for the leak check."""
    return leaks.register('t%s' % uuid.uuid4().hex[:8])


class InProcessEngine:
    """The engine's services, reconciler and WSGI app in this process."""

    def __init__(self, runtime=True, extra_conf=''):
        self.state_dir = tempfile.mkdtemp(prefix='hc-engine-')
        if '[database]' not in extra_conf:
            schema.seed(self.state_dir)
        self.instance = new_instance()
        self.config_file = write_config(self.state_dir, free_port(),
                                        self.instance, extra_conf)
        self.conf = cmd.prepare(['--config-file', self.config_file],
                                cfg.ConfigOpts())
        self.conf.set_override('enabled', runtime, 'runtime')
        self.services, self.reconciler, self.app = cmd.build(self.conf)
        if self.reconciler is not None:
            self.reconciler.start()

    def stop(self):
        if self.reconciler is not None:
            self.reconciler.stop()
            # A sync still running could make a sandbox (and its project
            # network) after the clean-up: let the workers finish first.
            for thread in self.reconciler._threads:
                if thread.name.startswith('capsule-sync-'):
                    thread.join(60)
            remove_everything(self.reconciler.driver)


def remove_everything(driver):
    """Remove every Docker object of one test engine instance."""
    for capsule_uuid in driver.list_capsule_uuids():
        driver.remove_capsule(capsule_uuid)
    for volume_uuid in driver.list_volumes():
        driver.remove_volume(volume_uuid)
    driver.collect_networks(lambda project_id: False)


class EngineProcess:
    """``heat-capsule-engine`` started as a real process on 127.0.0.1."""

    def __init__(self, extra_conf='', state_dir=None, instance=None,
                 port=None, resync_interval=5, bin_dir=None,
                 grace_period=TEST_GRACE_PERIOD):
        # bin_dir: where heat-capsule-engine is (default: this venv's).
        self.bin_dir = bin_dir or os.path.dirname(sys.executable)
        if state_dir is None:
            state_dir = tempfile.mkdtemp(prefix='hc-engine-')
            # Not for another installation's engine (its own migrations
            # are what test_wheel checks) nor another database.
            if bin_dir is None and '[database]' not in extra_conf:
                schema.seed(state_dir)
        self.state_dir = state_dir
        self.instance = leaks.register(instance or new_instance())
        self.port = port or free_port()
        self.config_file = write_config(self.state_dir, self.port,
                                        self.instance, extra_conf,
                                        resync_interval, grace_period)
        self.url = 'http://127.0.0.1:%d' % self.port
        self.proc = None

    def start(self, timeout=30):
        log = open(os.path.join(self.state_dir, 'stdout.log'), 'ab')
        self.proc = subprocess.Popen(
            [os.path.join(self.bin_dir, 'heat-capsule-engine'),
             '--config-file', self.config_file],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('engine exited with %s; see %s'
                                   % (self.proc.returncode, self.state_dir))
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(self.url + '/', timeout=2).ok:
                    return self
            time.sleep(0.1)
        raise RuntimeError('engine did not answer within %ss' % timeout)

    def kill(self, sig=9, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)

    def stop(self):
        """SIGTERM; the engine waits up to ``[runtime] shutdown_timeout``
        (30 s) for the syncs in flight, so this waits longer."""
        self.kill(15, timeout=90)

    def driver(self):
        conf = cmd.prepare(['--config-file', self.config_file],
                           cfg.ConfigOpts(), setup_logging=False)
        return service.make_driver(conf)


@contextlib.contextmanager
def behind_proxy(socket_path, resync_interval=5, extra_conf=''):
    """(DockerProxy, EngineProcess): an engine that talks to Docker
    through a proxy at `socket_path` keeping each request's path
    (tests/support/docker_proxy.py); both stop, and the engine's Docker
    objects go, at the end.  `extra_conf` follows the ``[runtime]``
    ``docker_url`` line."""
    from tests.support import docker_proxy
    proxy = docker_proxy.DockerProxy(socket_path).start()
    try:
        engine = EngineProcess(
            extra_conf='docker_url = %s\n%s' % (proxy.url, extra_conf),
            resync_interval=resync_interval).start()
        try:
            yield proxy, engine
        finally:
            engine.stop()
            remove_everything(engine.driver())
    finally:
        proxy.stop()


def wait_for(predicate, timeout=60, interval=0.2, what='condition'):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError('%s not reached within %ss (last: %r)'
                         % (what, timeout, last))
