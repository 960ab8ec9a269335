"""Upgrade from the shared network: capsules made the old way keep working,
and move to their project's network on their next restart.

The old state is built as earlier versions left it: the database by the
engine's own API (the schema did not change), the capsule's row then marked
Running with its address keyed by the shared network's id; in Docker, the
shared bridge network ``[runtime] network_name`` labelled
``io.heat-capsule.network=true``, the sandbox on it, the app container in
the sandbox's namespaces.  Reachability is checked through the port the
sandbox publishes on 127.0.0.1 only.
"""

import os
import tempfile
import urllib.request

import docker
import pytest
import requests

from heat_capsule.engine.db import api as db_api
from heat_capsule.engine.runtime import images
from heat_capsule.engine.runtime import networks
from heat_capsule.engine.runtime import spec as rspec
from tests.support import capsule_api
from tests.support import engine as engine_support

HEADERS = capsule_api.HEADERS
PAGE_COMMAND = ['sh', '-c', 'mkdir -p /www && echo old-capsule > '
                '/www/index.html && exec httpd -f -p 8080 -h /www']


def post(engine, name):
    resp = requests.post(engine.url + '/v1/capsules', json={'template': {
        'kind': 'capsule', 'metadata': {'name': name},
        'spec': {'containers': [{'name': 'web', 'image': 'busybox',
                                 'command': PAGE_COMMAND,
                                 'ports': [{'containerPort': 8080}]}]}}},
        headers=HEADERS, timeout=10)
    assert resp.status_code == 202, resp.text
    return resp.json()


def show(engine, ident):
    resp = requests.get(engine.url + '/v1/capsules/' + ident,
                        headers=HEADERS, timeout=10)
    return resp.json() if resp.ok else None


def page(client, capsule_uuid):
    """The page served through the sandbox's port on 127.0.0.1, or None."""
    ports = client.api.inspect_container('hc-%s' % capsule_uuid)[
        'NetworkSettings']['Ports'] or {}
    binding = (ports.get('8080/tcp') or [{}])[0]
    if not binding.get('HostPort'):
        return None
    try:
        with urllib.request.urlopen('http://127.0.0.1:%s/index.html'
                                    % binding['HostPort'],
                                    timeout=2) as answer:
            return answer.read().decode().strip()
    except OSError:
        return None


def networks_of(client, capsule_uuid):
    return client.api.inspect_container('hc-%s' % capsule_uuid)[
        'NetworkSettings']['Networks']


def make_the_old_way(client, instance, shared, capsule):
    """Docker objects as earlier versions made them; returns the address
    view they recorded."""
    api = client.api
    images.ensure_sandbox_image(client, images.DEFAULT_SANDBOX_IMAGE,
                                images.DEFAULT_SANDBOX_IMAGE)
    network_id = api.create_network(shared, driver='bridge', labels={
        rspec.LABEL_ENGINE: instance, rspec.LABEL_NETWORK: 'true'})['Id']
    owner = {rspec.LABEL_ENGINE: instance,
             rspec.LABEL_CAPSULE: capsule['uuid']}
    sandbox = api.create_container(
        images.DEFAULT_SANDBOX_IMAGE, name='hc-%s' % capsule['uuid'],
        labels=dict(owner, **{rspec.LABEL_ROLE: rspec.ROLE_SANDBOX}),
        ports=[8080], detach=True, stop_signal='SIGKILL',
        host_config=api.create_host_config(
            network_mode=shared, ipc_mode='shareable',
            restart_policy={'Name': 'unless-stopped'},
            port_bindings={'8080/tcp': ('127.0.0.1', None)}),
        networking_config=api.create_networking_config(
            {shared: api.create_endpoint_config()}))['Id']
    api.start(sandbox)
    (web,) = capsule['containers']
    app = api.create_container(
        'busybox:latest', name='hc-%s-web' % capsule['uuid'],
        command=PAGE_COMMAND, detach=True,
        labels=dict(owner, **{rspec.LABEL_ROLE: rspec.ROLE_APP,
                              rspec.LABEL_CONTAINER: web['uuid']}),
        host_config=api.create_host_config(
            network_mode='container:%s' % sandbox,
            ipc_mode='container:%s' % sandbox,
            restart_policy={'Name': 'always'}))['Id']
    api.start(app)
    endpoint = networks_of(client, capsule['uuid'])[shared]
    subnet = api.inspect_network(network_id)['IPAM']['Config'][0]['Subnet']
    return {network_id: [{
        'addr': endpoint['IPAddress'], 'version': 4,
        'port': endpoint['EndpointID'], 'preserve_on_delete': False,
        'subnet_id': networks.make_subnet_id(network_id, subnet)}]}


@pytest.fixture
def client():
    engine_support.ensure_test_images()
    return docker.from_env()


def test_shared_network_capsules_are_adopted_then_moved(client):
    state_dir = tempfile.mkdtemp(prefix='hc-engine-')
    instance = engine_support.new_instance()
    shared = 'hc-shared-%s' % instance
    port = engine_support.free_port()
    conf = 'network_name = %s\n' % shared
    engine = None
    try:
        # The database as an earlier engine filled it.
        api_only = engine_support.EngineProcess(
            extra_conf=conf + 'enabled = false\n', state_dir=state_dir,
            instance=instance, port=port).start()
        old = post(api_only, 'old')
        api_only.stop()
        recorded = make_the_old_way(client, instance, shared, old)
        db = db_api.Database(
            'sqlite:///' + os.path.join(state_dir, 'engine.sqlite'))
        db.update_capsule(old['uuid'], status='Running', addresses=recorded,
                          containers={old['containers'][0]['uuid']: {
                              'status': 'Running'}})
        engine_support.wait_for(lambda: page(client, old['uuid']),
                                what='the old capsule serving')
        sandbox_id = client.api.inspect_container(
            'hc-%s' % old['uuid'])['Id']
        app_id = client.api.inspect_container(
            'hc-%s-web' % old['uuid'])['Id']

        # The upgraded engine adopts it as it is.
        engine = engine_support.EngineProcess(
            extra_conf=conf, state_dir=state_dir, instance=instance,
            port=port).start()
        log = os.path.join(state_dir, 'engine.log')
        engine_support.wait_for(
            lambda: 'still on network %s' % shared in open(log).read(),
            what='the warning about the shared network')
        adopted = show(engine, old['uuid'])
        assert adopted['status'] == 'Running'
        assert adopted['addresses'] == recorded
        assert list(networks_of(client, old['uuid'])) == [shared]
        assert client.api.inspect_container(
            'hc-%s-web' % old['uuid'])['Id'] == app_id
        assert page(client, old['uuid']) == 'old-capsule'

        # A new capsule of the project goes to the project's network.
        new = post(engine, 'new')
        engine_support.wait_for(
            lambda: (show(engine, new['uuid']) or {}).get('status') ==
            'Running', what='new capsule running')
        project_net = '%s-demo' % instance
        assert list(networks_of(client, new['uuid'])) == [project_net]

        # Its next restart moves the old one there.
        client.api.stop(sandbox_id)

        def moved():
            body = show(engine, old['uuid'])
            return (body['status'] == 'Running'
                    and list(body['addresses']) != list(recorded)
                    and body)
        body = engine_support.wait_for(moved, what='old capsule moved')
        attached = networks_of(client, old['uuid'])
        assert list(attached) == [project_net]
        assert list(body['addresses']) == [attached[project_net][
            'NetworkID']]
        assert list(body['addresses']) == list(show(engine, new['uuid'])[
            'addresses'])                     # one network per project
        assert client.api.inspect_container(
            'hc-%s' % old['uuid'])['Id'] == sandbox_id      # moved, kept
        assert engine_support.wait_for(
            lambda: page(client, old['uuid'])) == 'old-capsule'

        # The shared network goes once nothing is on it.
        engine_support.wait_for(
            lambda: not client.api.networks(names=[shared]), timeout=30,
            what='shared network removed')
    finally:
        if engine is not None:
            engine.stop()
        driver = engine_support.EngineProcess(
            extra_conf=conf, state_dir=state_dir, instance=instance,
            port=port).driver()
        engine_support.remove_everything(driver)
        for network in client.api.networks(names=[shared]):
            client.api.remove_network(network['Id'])
