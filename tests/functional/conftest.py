"""Fixtures for tests that drive a real Docker engine.

Everything a test session creates is named or labelled with a random
suffix or with capsule uuids it made itself, and removed at the end: the
session never touches capsules of an engine that may run on the same Docker.
The one thing left behind on purpose is ``busybox:latest``, built from the
host's static busybox when missing, which the project's scripts and demos
share.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat (the Heat test modules come after this file).
from tests.support import heat_rig

import os  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import docker  # noqa: E402
import pytest  # noqa: E402

from heat_capsule.engine.runtime.docker import driver as docker_driver  # noqa: E402
from heat_capsule.engine.runtime import images  # noqa: E402
from heat_capsule.engine.runtime import spec  # noqa: E402
from tests.support import engine as engine_support  # noqa: E402
from tests.support import leaks  # noqa: E402

BUSYBOX = 'busybox:latest'
DOCKER_URL = os.environ.get('DOCKER_HOST', 'unix:///var/run/docker.sock')


@pytest.fixture(scope='session')
def docker_client():
    client = docker.DockerClient(base_url=DOCKER_URL, version='auto')
    try:
        client.ping()
    except Exception as e:  # noqa: any failure means "no Docker here"
        pytest.skip('no Docker engine at %s: %s (run tools/setup-docker.sh)'
                    % (DOCKER_URL, e))
    yield client
    client.close()


@pytest.fixture(scope='session')
def busybox_image(docker_client):
    """busybox:latest, built from /bin/busybox when missing (kept after)."""
    try:
        docker_client.images.get(BUSYBOX)
    except docker.errors.ImageNotFound:
        images.build_busybox_image(docker_client, BUSYBOX)
    return BUSYBOX


@pytest.fixture(scope='module')
def engine():
    """A heat-capsule-engine process on 127.0.0.1 for one test module."""
    engine_support.ensure_test_images()
    process = engine_support.EngineProcess().start()
    yield process
    process.stop()
    engine_support.remove_everything(process.driver())


@pytest.fixture(scope='module')
def heat(engine):
    """Heat's real engine in this process (tests.support.heat_rig), its
    catalog pointing at the module's engine; stacks left are deleted."""
    rig = heat_rig.HeatRig(engine.url + '/v1').start()
    yield rig
    try:
        rig.container_url = engine.url + '/v1'   # a test may have moved it
        rig.delete_all()
    finally:
        rig.stop()


@pytest.fixture
def heat_client_option():
    """``set(name, value)``: an option of Heat's ``[clients_zun_capsule]``
    (OS::Zun::Capsule's client plugin) for one test, cleared after it."""
    from oslo_config import cfg

    from heat_capsule.heat import client as capsule_client
    names = []

    def set_option(name, value):
        cfg.CONF.set_override(name, value, capsule_client.OPT_GROUP)
        names.append(name)
    yield set_option
    for name in names:
        cfg.CONF.clear_override(name, capsule_client.OPT_GROUP)


@pytest.fixture(scope='session')
def suffix():
    return uuid.uuid4().hex[:10]


class Tracker:
    """Capsule uuids and images a test session made, for the cleanup."""

    def __init__(self, client):
        self.client = client
        self.capsules = set()
        self.images = set()

    def remove_capsule_objects(self, capsule_uuid):
        label = '%s=%s' % (spec.LABEL_CAPSULE, capsule_uuid)
        for container in self.client.containers.list(
                all=True, filters={'label': label}):
            _ignore_missing(container.remove, force=True, v=True)
        for volume in self.client.volumes.list(filters={'label': label}):
            _ignore_missing(volume.remove, force=True)

    def cleanup(self):
        for capsule_uuid in self.capsules:
            self.remove_capsule_objects(capsule_uuid)
        for tag in self.images:
            _ignore_missing(self.client.images.remove, tag, force=True)


def _ignore_missing(func, *args, **kwargs):
    try:
        func(*args, **kwargs)
    except docker.errors.NotFound:
        pass


@pytest.fixture(scope='session')
def tracker(docker_client):
    tracker = Tracker(docker_client)
    yield tracker
    tracker.cleanup()


@pytest.fixture(scope='session')
def driver(docker_client, busybox_image, suffix, tracker):
    """A DockerDriver with an instance name and sandbox image of this
    session only.

    The sandbox image tag is the driver's default one, so it is built the
    first time a sandbox is made; it is removed at the end, with the
    session's project networks.
    """
    sandbox_image = 'heat-capsule-test/sandbox:%s' % suffix
    tracker.images.add(sandbox_image)
    network_name = 'hc-test-%s' % suffix
    driver = docker_driver.DockerDriver(
        DOCKER_URL, sandbox_image, network_name,
        default_sandbox_image=sandbox_image,
        instance=leaks.register('hc-test-%s' % suffix))
    yield driver
    tracker.cleanup()
    driver.collect_networks(lambda project_id: False)


@pytest.fixture
def new_capsule(driver, tracker):
    """Factory of CapsuleSpecs whose Docker objects go away after the test."""
    made = []

    def make(containers=(), init_containers=(), volumes=(),
             restart_policy='always', hostname=None,
             termination_grace_period=0):
        capsule = spec.CapsuleSpec(
            uuid=str(uuid.uuid4()), project_id='test',
            restart_policy=restart_policy, containers=tuple(containers),
            init_containers=tuple(init_containers), volumes=tuple(volumes),
            hostname=hostname,
            termination_grace_period=termination_grace_period)
        made.append(capsule.uuid)
        tracker.capsules.add(capsule.uuid)
        return capsule

    yield make
    for capsule_uuid in made:
        tracker.remove_capsule_objects(capsule_uuid)


def app(name, *command, **fields):
    """A busybox app ContainerSpec."""
    fields.setdefault('image', BUSYBOX)
    return spec.ContainerSpec(uuid=str(uuid.uuid4()), name=name,
                              role=spec.ROLE_APP, command=command, **fields)


def init(name, *command, **fields):
    """A busybox init ContainerSpec."""
    fields.setdefault('image', BUSYBOX)
    return spec.ContainerSpec(uuid=str(uuid.uuid4()), name=name,
                              role=spec.ROLE_INIT, command=command, **fields)


def run_capsule(driver, capsule):
    """Sandbox, then init containers one by one to completion, then apps."""
    states = {'sandbox': driver.ensure_sandbox(capsule)}
    for container in capsule.init_containers:
        driver.start_container(capsule, container)
        states[container.uuid] = wait_for(
            lambda: _stopped(driver, capsule, container))
    for container in capsule.containers:
        states[container.uuid] = driver.start_container(capsule, container)
    return states


def _stopped(driver, capsule, container):
    state = driver.observe(capsule.uuid).get(container.uuid)
    return state if state is not None and state.status == 'Stopped' else None


def wait_for(probe, timeout=15.0, interval=0.05):
    """Call probe() until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % probe)
        time.sleep(interval)


def exec_in(docker_client, docker_id, *command):
    """Run a command in a container; return (exit code, output text)."""
    result = docker_client.containers.get(docker_id).exec_run(list(command))
    return result.exit_code, result.output.decode('utf-8', 'replace')
