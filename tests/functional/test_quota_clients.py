"""Quotas through the real clients, unchanged: python-zunclient's quota
managers and ``openstack appcontainer quota ...`` against an engine process.

The admin tests use an engine whose noauth identity is an admin of project
``demo`` (``[api] noauth_roles = admin``): the CLI sends no role headers.
The module ``engine`` (noauth member) shows what a member may not do.
"""

import json

import pytest
from zunclient import exceptions as zun_exc

from tests.functional import test_clients as clients
from tests.support import engine as engine_support

PROJECT = 'demo'   # the noauth project of every test engine
DEFAULTS = {'containers': 40, 'memory': 51200, 'cpu': 20, 'disk': 100}


def _capsule(name, count):
    return {'kind': 'capsule', 'metadata': {'name': name},
            'spec': {'containers': [
                {'name': 'c%d' % i, 'image': 'busybox',
                 'command': ['sleep', '3600']} for i in range(count)]}}


@pytest.fixture(scope='module')
def admin_engine():
    engine_support.ensure_test_images()
    process = engine_support.EngineProcess(
        extra_conf='[api]\nnoauth_roles = admin\n').start()
    yield process
    process.stop()
    engine_support.remove_everything(process.driver())


def _info(resource):
    return dict(resource._info)


def test_zunclient_quotas(admin_engine):
    client = clients.zun(admin_engine)
    assert _info(client.quotas.get(PROJECT)) == DEFAULTS
    assert _info(client.quotas.defaults(PROJECT)) == DEFAULTS

    updated = client.quotas.update(PROJECT, containers=2, memory=512)
    assert _info(updated) == dict(DEFAULTS, containers=2, memory=512)
    usage = _info(client.quotas.get(PROJECT, usages=True))
    assert usage['containers'] == {'limit': 2, 'in_use': 0}
    assert usage['memory'] == {'limit': 512, 'in_use': 0}

    with pytest.raises(zun_exc.Forbidden) as caught:
        client.capsules.create(template=_capsule('too-many', 3))
    assert ('Quota exceeded for resources: containers (limit 2, in use 0, '
            'requested 3); memory (limit 512 MiB, in use 0 MiB, requested '
            '768 MiB) of project demo.' in str(caught.value))
    assert client.capsules.list() == []

    capsule = client.capsules.create(template=_capsule('fits', 1))
    usage = _info(client.quotas.get(PROJECT, usages=True))
    assert usage['containers'] == {'limit': 2, 'in_use': 1}
    assert usage['memory'] == {'limit': 512, 'in_use': 256}
    client.capsules.delete(capsule.uuid)

    client.quotas.delete(PROJECT)
    assert _info(client.quotas.get(PROJECT)) == DEFAULTS


def test_zunclient_quota_classes(admin_engine):
    client = clients.zun(admin_engine)
    assert _info(client.quota_classes.get('default')) == DEFAULTS
    try:
        updated = client.quota_classes.update('default', cpu=8, disk=10)
        assert _info(updated) == dict(DEFAULTS, cpu=8, disk=10)
        assert _info(client.quotas.defaults(PROJECT)) == dict(
            DEFAULTS, cpu=8, disk=10)
    finally:
        client.quota_classes.update('default', cpu=20, disk=100)


def test_zunclient_member_may_read_but_not_set(engine):
    client = clients.zun(engine)
    assert _info(client.quotas.get(PROJECT)) == DEFAULTS
    with pytest.raises(zun_exc.Forbidden) as caught:
        client.quotas.update(PROJECT, containers=1000)
    assert 'Policy does not allow quota:update.' in str(caught.value)
    with pytest.raises(zun_exc.Forbidden):
        client.quotas.get('another-project')
    with pytest.raises(zun_exc.Forbidden):
        client.quota_classes.update('default', containers=1000)


def _cli_json(engine, *args):
    result = clients.openstack(engine, 'appcontainer', 'quota', *args,
                               '-f', 'json')
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_openstack_appcontainer_quota_commands(admin_engine, tmp_path):
    assert _cli_json(admin_engine, 'get', PROJECT) == DEFAULTS
    assert _cli_json(admin_engine, 'default', PROJECT) == DEFAULTS
    assert _cli_json(admin_engine, 'update', '--containers', '1',
                     '--memory', '2048', PROJECT) == dict(
        DEFAULTS, containers=1, memory=2048)
    usage = _cli_json(admin_engine, 'get', '--usages', PROJECT)
    assert usage['containers'] == {'limit': 1, 'in_use': 0}

    template = tmp_path / 'capsule.yaml'
    template.write_text(json.dumps(_capsule('cli-over', 2)))
    created = clients.openstack(admin_engine, 'capsule', 'create', '--file',
                                str(template))
    assert created.returncode != 0
    assert 'containers (limit 1, in use 0, requested 2)' in created.stderr

    deleted = clients.openstack(admin_engine, 'appcontainer', 'quota',
                                'delete', PROJECT)
    assert deleted.returncode == 0, deleted.stderr
    assert 'Request to delete quotas has been accepted.' in deleted.stdout
    assert _cli_json(admin_engine, 'get', PROJECT) == DEFAULTS

    try:
        assert _cli_json(admin_engine, 'class', 'update', '--containers',
                         '30', 'default') == dict(DEFAULTS, containers=30)
        assert _cli_json(admin_engine, 'class', 'get', 'default') == dict(
            DEFAULTS, containers=30)
        assert _cli_json(admin_engine, 'get', PROJECT)['containers'] == 30
    finally:
        _cli_json(admin_engine, 'class', 'update', '--containers', '40',
                  'default')


def test_openstack_quota_update_as_member_is_refused(engine):
    result = clients.openstack(engine, 'appcontainer', 'quota', 'update',
                               '--containers', '1000', PROJECT)
    assert result.returncode != 0
    assert 'Policy does not allow quota:update.' in result.stderr
