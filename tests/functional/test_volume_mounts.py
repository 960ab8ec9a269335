"""volumeMounts on real Docker: readOnly honoured, volumeIDs used once.

The engine runs as a process on real Docker; writes are tried from inside
the containers (docker exec), as the network rule asks.
"""

import docker
import pytest
import requests

from tests.support import capsule_api
from tests.support import engine as engine_support

HEADERS = capsule_api.HEADERS


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


def post(engine, template):
    return requests.post(engine.url + '/v1/capsules',
                         json={'template': template}, headers=HEADERS,
                         timeout=30)


def show(engine, ident):
    return requests.get(engine.url + '/v1/capsules/' + ident,
                        headers=HEADERS, timeout=30)


def running(engine, ident):
    def reached():
        body = show(engine, ident).json()
        assert body['status'] != 'Error', body['status_reason']
        return body if body['status'] == 'Running' else None
    return engine_support.wait_for(reached, timeout=90,
                                   what='%s Running' % ident)


def delete(engine, ident):
    requests.delete(engine.url + '/v1/capsules/' + ident, headers=HEADERS,
                    timeout=30)
    engine_support.wait_for(lambda: show(engine, ident).status_code == 404,
                            timeout=60, what='%s gone' % ident)


def sleeper(name, mounts):
    return {'name': name, 'image': 'busybox', 'command': ['sleep', '3600'],
            'volumeMounts': mounts}


def run_in(client, capsule_uuid, name, script):
    container = client.containers.get('hc-%s-%s' % (capsule_uuid, name))
    result = container.exec_run(['sh', '-c', script])
    return result.exit_code, result.output.decode()


def test_read_only_mount_refuses_writes_inside_the_container(engine, client,
                                                             busybox_image):
    resp = post(engine, {
        'kind': 'capsule', 'metadata': {'name': 'read-only'},
        'spec': {
            'containers': [
                sleeper('writer', [{'name': 'shared', 'mountPath': '/data'}]),
                sleeper('reader', [{'name': 'shared',
                                    'mountPath': '//data/./',
                                    'readOnly': True},
                                   {'name': 'scratch', 'mountPath': '/tmp/s',
                                    'readOnly': 'false'}]),
            ],
            'volumes': [{'name': 'shared', 'cinder': {'size': 1,
                                                      'autoRemove': True}},
                        {'name': 'scratch',
                         'cinder': {'size': 1, 'autoRemove': True}}]}})
    assert resp.status_code == 202, resp.text
    uuid = resp.json()['uuid']
    try:
        running(engine, uuid)
        code, out = run_in(client, uuid, 'writer',
                           'echo from-writer > /data/f && cat /data/f')
        assert (code, out.strip()) == (0, 'from-writer')
        # The reader sees the same volume (at the normalised path) ...
        code, out = run_in(client, uuid, 'reader', 'cat /data/f')
        assert (code, out.strip()) == (0, 'from-writer')
        # ... and cannot write to it: the kernel says read-only.
        code, out = run_in(client, uuid, 'reader',
                           'echo x > /data/f; echo x > /data/new')
        assert code != 0, out
        assert 'Read-only file system' in out
        code, out = run_in(client, uuid, 'writer', 'cat /data/f')
        assert out.strip() == 'from-writer'
        # readOnly "false" leaves a mount writable.
        code, out = run_in(client, uuid, 'reader', 'echo y > /tmp/s/y')
        assert code == 0, out
        mounts = client.containers.get(
            'hc-%s-reader' % uuid).attrs['Mounts']
        by_path = {m['Destination']: m['RW'] for m in mounts}
        assert by_path == {'/data': False, '/tmp/s': True}
    finally:
        delete(engine, uuid)


def test_a_volume_id_twice_is_a_400_naming_the_second(engine, busybox_image):
    # A volume that outlives its capsule, to be attached by id.
    resp = post(engine, {
        'kind': 'capsule', 'metadata': {'name': 'keeps-a-volume'},
        'spec': {'containers': [sleeper('app', [{'name': 'keep',
                                                 'mountPath': '/keep'}])],
                 'volumes': [{'name': 'keep', 'cinder': {'size': 1}}]}})
    assert resp.status_code == 202, resp.text
    uuid = resp.json()['uuid']
    volumes = requests.get(engine.url + '/v1/capsules/%s/volumes' % uuid,
                           headers=HEADERS, timeout=30).json()['volumes']
    volume_id = volumes[0]['id']
    running(engine, uuid)
    delete(engine, uuid)

    resp = post(engine, {
        'kind': 'capsule', 'metadata': {'name': 'twice'},
        'spec': {'containers': [sleeper('app', [
            {'name': 'first', 'mountPath': '/a'},
            {'name': 'second', 'mountPath': '/b'}])],
            'volumes': [{'name': 'first', 'cinder': {'volumeID': volume_id}},
                        {'name': 'second',
                         'cinder': {'volumeID': volume_id}}]}})
    assert resp.status_code == 400, resp.text
    detail = resp.json()['errors'][0]['detail']
    assert detail == (
        "Invalid input for field 'template.spec.volumes[1].cinder.volumeID':"
        " volume %s is already used by template.spec.volumes[0]; a volume "
        "can be attached once per capsule" % volume_id)
    # Once is fine: the volume is free again.
    resp = post(engine, {
        'kind': 'capsule', 'metadata': {'name': 'once'},
        'spec': {'containers': [sleeper('app', [{'name': 'first',
                                                 'mountPath': '/a'}])],
                 'volumes': [{'name': 'first',
                              'cinder': {'volumeID': volume_id}}]}})
    assert resp.status_code == 202, resp.text
    running(engine, resp.json()['uuid'])
    delete(engine, resp.json()['uuid'])


@pytest.mark.parametrize('container,path', [
    ({'resources': {'requests': {'memory': 5}}},
     'template.spec.containers[0].resources.requests.memory'),
    ({'resources': {'requests': {'cpu': 16}}},
     'template.spec.containers[0].resources.requests.cpu'),
    ({'volumeMounts': [{'name': 'data', 'mountPath': '/data'},
                       {'name': 'data', 'mountPath': '/data/.'}]},
     'template.spec.containers[0].volumeMounts[1].mountPath'),
])
def test_the_issues_inputs_are_400s(engine, client, container, path):
    if 'cpu' in path and client.info()['NCPU'] >= 16:
        pytest.skip('the Docker host has 16 CPUs or more')
    template = {'kind': 'capsule', 'metadata': {'name': 'refused'},
                'spec': {'containers': [dict(
                    {'image': 'busybox', 'command': ['sleep', '1']},
                    **container)]}}
    if 'volumeMounts' in container:
        template['spec']['volumes'] = [{'name': 'data',
                                        'cinder': {'size': 1}}]
    resp = post(engine, template)
    assert resp.status_code == 400, resp.text
    assert ("Invalid input for field '%s'" % path
            in resp.json()['errors'][0]['detail'])
