"""Kept volumes on real Docker: found, re-attached and deleted through the
engine's volumes API, by hand and through Heat's real engine.

The ``engine`` fixture is a heat-capsule-engine process in noauth mode, so
requests without ``X-Project-Id`` (Heat's, through python-zunclient) are
project ``demo``'s. The Docker side is read with the docker SDK: a volume
is the named volume ``hc-vol-<uuid>``.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig  # noqa: F401

import json  # noqa: E402

import docker  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402
import webob  # noqa: E402

from tests.support import engine as engine_support  # noqa: E402

HEADERS = {'OpenStack-API-Version': 'container 1.40'}


def api(engine, method, path, **kwargs):
    return requests.request(method, engine.url + path, headers=HEADERS,
                            timeout=30, **kwargs)


def docker_volumes(client):
    return {volume.name for volume in client.volumes.list()}


def wait_gone(engine, capsule_uuid):
    engine_support.wait_for(
        lambda: api(engine, 'GET', '/v1/capsules/' + capsule_uuid)
        .status_code == 404, timeout=60, what='capsule %s gone'
        % capsule_uuid)


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


def test_a_kept_volume_is_listed_and_deleted_after_its_capsule(engine,
                                                               client):
    resp = api(engine, 'POST', '/v1/capsules', json={'template': {
        'kind': 'capsule', 'metadata': {'name': 'keeper'}, 'spec': {
            'containers': [{'image': 'busybox', 'command': ['sleep', '600'],
                            'volumeMounts': [{'name': 'data',
                                              'mountPath': '/data'}]}],
            'volumes': [{'name': 'data', 'cinder': {'size': 1}}]}}})
    assert resp.status_code == 202, resp.text
    capsule_uuid = resp.json()['uuid']
    engine_support.wait_for(
        lambda: api(engine, 'GET', '/v1/capsules/' + capsule_uuid)
        .json()['status'] == 'Running', timeout=60, what='Running')
    mine = [v for v in api(engine, 'GET', '/v1/volumes').json()['volumes']
            if v['capsule_uuid'] == capsule_uuid]
    assert [(v['name'], v['auto_remove']) for v in mine] == [('data', False)]
    volume_uuid = mine[0]['uuid']
    assert 'hc-vol-' + volume_uuid in docker_volumes(client)
    assert api(engine, 'DELETE', '/v1/volumes/' + volume_uuid
               ).status_code == 409

    assert api(engine, 'DELETE', '/v1/capsules/' + capsule_uuid
               ).status_code == 204
    wait_gone(engine, capsule_uuid)
    kept = api(engine, 'GET', '/v1/volumes/' + volume_uuid).json()
    assert kept['capsule_uuid'] is None
    assert 'hc-vol-' + volume_uuid in docker_volumes(client)

    assert api(engine, 'DELETE', '/v1/volumes/' + volume_uuid
               ).status_code == 204
    assert 'hc-vol-' + volume_uuid not in docker_volumes(client)
    assert api(engine, 'GET', '/v1/volumes/' + volume_uuid
               ).status_code == 404


def _call(app, method, path, body=None):
    req = webob.Request.blank(path, method=method)
    if body is not None:
        req.content_type = 'application/json'
        req.body = json.dumps(body).encode()
    return req.get_response(app)


def test_a_docker_volume_left_by_a_delete_is_collected(client):
    """A volume row deleted while Docker did not answer leaves its Docker
    volume behind (the API's delete then logs and returns 204); the
    reconciler's next resync removes it: a labelled volume without a row
    is an orphan."""
    engine_support.ensure_test_images()
    engine = engine_support.InProcessEngine()
    try:
        created = _call(engine.app, 'POST', '/v1/capsules', {'template': {
            'kind': 'capsule', 'metadata': {}, 'spec': {
                'containers': [{'image': 'busybox',
                                'command': ['sleep', '600'],
                                'volumeMounts': [{'name': 'data',
                                                  'mountPath': '/d'}]}],
                'volumes': [{'name': 'data', 'cinder': {'size': 1}}]}}})
        capsule_uuid = created.json['uuid']
        engine_support.wait_for(
            lambda: _call(engine.app, 'GET', '/v1/capsules/' + capsule_uuid
                          ).json['status'] == 'Running', timeout=60,
            what='Running')
        volume_uuid = _call(engine.app, 'GET', '/v1/volumes'
                            ).json['volumes'][0]['uuid']
        _call(engine.app, 'DELETE', '/v1/capsules/' + capsule_uuid)
        engine_support.wait_for(
            lambda: _call(engine.app, 'GET', '/v1/volumes/' + volume_uuid
                          ).json['capsule_uuid'] is None, timeout=60,
            what='the volume released')
        # What DELETE /v1/volumes does when Docker does not answer: the
        # row goes, the Docker volume stays.
        engine.services.db.delete_volume(volume_uuid)
        assert 'hc-vol-' + volume_uuid in docker_volumes(client)
        engine_support.wait_for(
            lambda: 'hc-vol-' + volume_uuid not in docker_volumes(client),
            timeout=30, what='the orphan volume collected')
    finally:
        engine.stop()


def test_heat_keeps_a_volume_reattaches_it_and_the_api_deletes_it(
        heat, engine, client):
    """templates/volume.yaml: the volume outlives the first stack, the
    second stack attaches it by the first one's volume_id output and finds
    its data, and the volumes API deletes it once both stacks are gone."""
    template = heat.read_template('volume.yaml')
    first = heat.create_stack('keep-volume', template)
    assert heat.wait(first, 'CREATE')['stack_status'] == 'COMPLETE'
    outputs = heat.outputs(first)
    volume_uuid = outputs['volume_id']
    assert outputs['volumes'] == [{'name': 'data', 'id': volume_uuid,
                                   'size': 1, 'auto_remove': False}]
    heat.delete_stack(first)
    assert heat.wait_deleted(first)['stack_status'] == 'COMPLETE'

    # The stack is gone; its volume is listed, free, and still in Docker.
    listed = api(engine, 'GET', '/v1/volumes').json()['volumes']
    assert {'uuid': volume_uuid, 'name': 'data', 'capsule_uuid': None} \
        .items() <= next(v for v in listed if v['uuid'] == volume_uuid
                         ).items()
    assert 'hc-vol-' + volume_uuid in docker_volumes(client)

    # A later stack attaches it by id and finds the data.
    second = heat.create_stack('reattach-volume', template,
                               {'volume_id': volume_uuid})
    assert heat.wait(second, 'CREATE')['stack_status'] == 'COMPLETE'
    assert heat.outputs(second)['volume_id'] == volume_uuid
    capsule_uuid = heat.resource(second, 'capsule')['physical_resource_id']
    counter = client.containers.get('hc-%s-counter' % capsule_uuid)
    engine_support.wait_for(
        lambda: counter.exec_run(['cat', '/data/count']).output.strip()
        == b'2', timeout=20, what='the second visit counted')
    heat.delete_stack(second)
    assert heat.wait_deleted(second)['stack_status'] == 'COMPLETE'

    assert api(engine, 'DELETE', '/v1/volumes/' + volume_uuid
               ).status_code == 204
    assert 'hc-vol-' + volume_uuid not in docker_volumes(client)
