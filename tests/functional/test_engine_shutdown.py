"""An engine that stops with a capsule create in flight (issue 22).

The engine reaches Docker through tests.support.docker_proxy, which holds
back its first container create: the capsule's sync is then caught in the
middle of a Docker call, exactly where a stop used to leave it. A stop must
wait for that sync (``[runtime] shutdown_timeout``): otherwise the process
exits (or an in-process engine's stop returns, and the test cleanup runs)
and the create lands afterwards, a running capsule no engine owns any more
(what the suite left behind after a green run).
"""

import json
import signal
import subprocess
import threading

import pytest
import requests
import webob

from heat_capsule.engine.db import api as db_api
from heat_capsule.engine.runtime import spec as rspec
from tests.support import capsule_api
from tests.support import docker_proxy
from tests.support import engine as engine_support

HEADERS = capsule_api.HEADERS
TEMPLATE = {'kind': 'capsule', 'metadata': {'name': 'in-flight'},
            'spec': {'containers': [{'name': 'main', 'image': 'busybox',
                                     'command': ['sleep', '3600']}]}}
CREATE = b'/containers/create'
# How long the tests watch Docker for objects that arrive late.
SETTLE = 3


@pytest.fixture
def client():
    return engine_support.ensure_test_images()


@pytest.fixture
def proxy(tmp_path):
    proxy = docker_proxy.DockerProxy(str(tmp_path / 'docker.sock')).start()
    yield proxy
    proxy.stop()


def containers_of(client, instance):
    """{name: status} of every container labelled with the instance."""
    return {c.name: c.status for c in client.containers.list(
        all=True, filters={'label': '%s=%s' % (rspec.LABEL_ENGINE,
                                               instance)})}


def nothing_arrives(client, instance):
    """Docker holds nothing of the instance, now and SETTLE s later."""
    assert containers_of(client, instance) == {}
    with pytest.raises(AssertionError):
        engine_support.wait_for(lambda: containers_of(client, instance),
                                timeout=SETTLE, what='a late container')


def post_capsule(url):
    resp = requests.post(url + '/v1/capsules', json={'template': TEMPLATE},
                         headers=HEADERS, timeout=10)
    assert resp.status_code == 202, resp.text
    return resp.json()['uuid']


def test_sigterm_waits_for_the_create_in_flight(client, proxy):
    proxy.hold(CREATE)
    engine = engine_support.EngineProcess(
        extra_conf='docker_url = %s\n' % proxy.url).start()
    try:
        uuid = post_capsule(engine.url)
        engine_support.wait_for(proxy.holding.is_set, timeout=60,
                                what='a container create in flight')
        engine.proc.send_signal(signal.SIGTERM)
        with pytest.raises(subprocess.TimeoutExpired):
            # Before: the process exited at once, the create still held.
            engine.proc.wait(2)
        proxy.release()
        assert engine.proc.wait(60) == 0
        # The create the stop waited for went through to its end: the
        # database says Running, and Docker holds exactly that capsule.
        db = db_api.Database('sqlite:///%s/engine.sqlite' % engine.state_dir)
        assert db.get_capsule(uuid).status == 'Running'
        assert containers_of(client, engine.instance) == {
            'hc-%s' % uuid: 'running', 'hc-%s-main' % uuid: 'running'}
        # So the usual clean-up after a stop is final.
        engine_support.remove_everything(engine.driver())
        nothing_arrives(client, engine.instance)
    finally:
        engine.stop()
        proxy.release()
        engine_support.remove_everything(engine.driver())


def test_shutdown_timeout_bounds_the_wait(client, proxy):
    """A sync that never ends does not keep the engine from exiting."""
    proxy.hold(CREATE)
    engine = engine_support.EngineProcess(
        extra_conf='docker_url = %s\nshutdown_timeout = 1\n' % proxy.url
    ).start()
    try:
        uuid = post_capsule(engine.url)
        engine_support.wait_for(proxy.holding.is_set, timeout=60,
                                what='a container create in flight')
        engine.proc.send_signal(signal.SIGTERM)
        assert engine.proc.wait(30) == 0
        with open('%s/engine.log' % engine.state_dir) as handle:
            log = handle.read()
        assert 'still running after 1s: %s' % uuid in log
        proxy.stop()            # the held create never reaches Docker
        nothing_arrives(client, engine.instance)
    finally:
        engine.stop()
        proxy.stop()            # the held create never reaches Docker
        proxy.start()
        engine_support.remove_everything(engine.driver())


def test_in_process_stop_waits_for_the_create_in_flight(client, proxy):
    """What the gabbi fixtures do: stop, then remove what Docker holds."""
    proxy.hold(CREATE)
    engine = engine_support.InProcessEngine(
        extra_conf='docker_url = %s\n' % proxy.url)
    stopper = None
    try:
        req = webob.Request.blank('/v1/capsules', method='POST',
                                  headers=HEADERS)
        req.body = json.dumps({'template': TEMPLATE}).encode()
        resp = req.get_response(engine.app)
        assert resp.status_int == 202, resp.text
        engine_support.wait_for(proxy.holding.is_set, timeout=60,
                                what='a container create in flight')
        stopper = threading.Thread(target=engine.stop)
        stopper.start()
        stopper.join(2)
        # Before: stop() returned at once and removed nothing (the sandbox
        # did not exist yet); the create went on without an engine.
        assert stopper.is_alive(), 'stop() returned with a create in flight'
        proxy.release()
        stopper.join(60)
        assert not stopper.is_alive()
        nothing_arrives(client, engine.instance)
    finally:
        proxy.release()
        if stopper is None:
            engine.stop()
        elif stopper.is_alive():
            stopper.join(60)
        engine_support.remove_everything(engine.reconciler.driver)
