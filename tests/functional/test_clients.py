"""The real clients against a running heat-capsule-engine on 127.0.0.1.

python-zunclient's Python API (with discovery of the version range, as
Heat's client plugin uses it) and the real ``openstack capsule ...``
commands, unchanged, pointed at the engine as docs section 12 describes.
"""

import json
import os
import subprocess
import sys

import pytest
from zunclient import client as zun_client
from zunclient import exceptions as zun_exc

from tests.support import engine as engine_support

TEMPLATE = {
    'kind': 'capsule',
    'metadata': {'name': 'client-demo', 'labels': {'app': 'demo'}},
    'spec': {'containers': [{'name': 'main', 'image': 'busybox',
                             'command': ['sleep', '3600']}]},
}


def zun(engine, version='1'):
    return zun_client.Client(version, endpoint_override=engine.url + '/v1',
                             auth_token='test-token')


def openstack(engine, *args):
    command = [os.path.join(os.path.dirname(sys.executable), 'openstack'),
               '--os-auth-type', 'none', '--os-endpoint',
               engine.url + '/v1', *args]
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=120)
    if result.returncode == 0:      # the CLI is quiet when it succeeds
        assert result.stderr == '', (args, result.stderr)
    return result


def test_python_api_negotiates_the_maximum_version(engine):
    client = zun(engine)
    assert str(client.api_version.get_string()) == '1.40'


def test_python_api_round_trip(engine):
    client = zun(engine)
    capsule = client.capsules.create(template=TEMPLATE)
    assert capsule.status == 'Creating'
    assert capsule.name == 'client-demo'

    def running():
        shown = client.capsules.get(capsule.uuid)
        return shown if shown.status == 'Running' else None

    shown = engine_support.wait_for(running, timeout=60, what='Running')
    assert shown.containers[0]['name'] == 'main'
    assert shown.containers[0]['status'] == 'Running'
    assert shown.labels == {'app': 'demo'}
    assert list(shown.addresses.values())[0][0]['version'] == 4

    listed = client.capsules.list()
    assert capsule.uuid in [c.uuid for c in listed]
    paged = client.capsules.list(limit=1)
    assert len(paged) == 1

    client.capsules.delete(capsule.uuid)

    def gone():
        try:
            client.capsules.get(capsule.uuid)
        except zun_exc.NotFound:
            return True
        return False

    engine_support.wait_for(gone, timeout=60, what='capsule gone')


def test_python_api_reports_validation_errors(engine):
    client = zun(engine)
    bad = json.loads(json.dumps(TEMPLATE))
    bad['spec']['containers'][0]['ports'] = [{'containerPort': 70000}]
    with pytest.raises(zun_exc.BadRequest) as caught:
        client.capsules.create(template=bad)
    assert 'template.spec.containers[0].ports[0].containerPort' in str(
        caught.value)


def test_python_api_not_found_message(engine):
    with pytest.raises(zun_exc.NotFound) as caught:
        zun(engine).capsules.get('no-such-capsule')
    assert 'Capsule no-such-capsule could not be found' in str(caught.value)


def test_openstack_capsule_commands(engine, tmp_path):
    template = tmp_path / 'capsule.yaml'
    doc = json.loads(json.dumps(TEMPLATE))
    doc['metadata']['name'] = 'osc-demo'
    template.write_text(json.dumps(doc))

    created = openstack(engine, 'capsule', 'create', '--file',
                        str(template), '-f', 'json')
    assert created.returncode == 0, created.stderr
    uuid = json.loads(created.stdout)['uuid']

    def running():
        shown = openstack(engine, 'capsule', 'show', uuid, '-f', 'json')
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)['status'] == 'Running'

    engine_support.wait_for(running, timeout=90, interval=1,
                            what='Running via openstack capsule show')

    listed = openstack(engine, 'capsule', 'list', '-f', 'json')
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert any(row['uuid'] == uuid and row['status'] == 'Running'
               for row in rows), rows

    deleted = openstack(engine, 'capsule', 'delete', 'osc-demo')
    assert deleted.returncode == 0, deleted.stderr

    def gone():
        shown = openstack(engine, 'capsule', 'show', uuid)
        return shown.returncode != 0 and 'could not be found' in \
            shown.stderr

    engine_support.wait_for(gone, timeout=90, interval=1,
                            what='gone via openstack capsule show')


def test_openstack_cli_loads_every_command_quietly():
    # "command list" loads every installed command plugin, as --help does:
    # a client out of step with python-openstackclient (blazarclient 4.6.0
    # with osc 10.5.0) prints "Could not load ..." here. The constraints
    # install a set released together.
    command = [os.path.join(os.path.dirname(sys.executable), 'openstack'),
               'command', 'list', '-f', 'value']
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''
    assert 'capsule' in result.stdout and 'stack' in result.stdout
