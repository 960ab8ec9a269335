"""Capsules run for real: the engine (API + reconciler) on real Docker.

Checks are made the way the network rule allows: from inside the capsule
(docker exec through the SDK) and through Docker's own inspect data, never
by connecting to a container's IP address.
"""

import docker
import pytest
import requests

from heat_capsule.engine.runtime import security
from heat_capsule.engine.runtime import spec as rspec
from tests.support import capsule_api
from tests.support import engine as engine_support

HEADERS = capsule_api.HEADERS
create = capsule_api.create
show = capsule_api.show
wait_status = capsule_api.wait_status
delete_and_wait = capsule_api.delete_and_wait


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


def docker_container(client, capsule_uuid, name):
    return client.containers.get('hc-%s-%s' % (capsule_uuid, name))


def run_in(client, capsule_uuid, name, command):
    result = docker_container(client, capsule_uuid, name).exec_run(command)
    return result.exit_code, result.output.decode()


def labelled(client, capsule_uuid):
    label = '%s=%s' % (rspec.LABEL_CAPSULE, capsule_uuid)
    return client.containers.list(all=True, filters={'label': label})


def busybox(name, command, **extra):
    return dict(name=name, image='busybox', command=command, **extra)


def test_init_container_fills_a_volume_the_app_reads(engine, client):
    capsule = create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'shared-volume'},
        'spec': {
            'initContainers': [busybox(
                'fill', ['sh', '-c', 'echo hello from init > /work/index'],
                volumeMounts=[{'name': 'work', 'mountPath': '/work'}])],
            'containers': [busybox(
                'reader', ['sleep', '3600'],
                volumeMounts=[{'name': 'work', 'mountPath': '/data'}])],
            'volumes': [{'name': 'work',
                         'cinder': {'size': 1, 'autoRemove': True}}]}})
    body = wait_status(engine, capsule['uuid'], 'Running')
    assert body['init_containers'][0]['status'] == 'Stopped'
    code, out = run_in(client, capsule['uuid'], 'reader', 'cat /data/index')
    assert (code, out) == (0, 'hello from init\n')
    delete_and_wait(engine, capsule['uuid'])


def test_containers_share_localhost(engine, client):
    capsule = create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'sidecars'},
        'spec': {'containers': [
            busybox('web', ['sh', '-c', 'echo pong > /www/ping; '
                                        'exec httpd -f -p 8080 -h /www']),
            busybox('probe', ['sleep', '3600'])]}})
    wait_status(engine, capsule['uuid'], 'Running')

    def answered():
        return run_in(client, capsule['uuid'], 'probe',
                      'wget -qO- http://127.0.0.1:8080/ping')
    code, out = engine_support.wait_for(
        lambda: answered() if answered()[0] == 0 else None, timeout=20,
        what='httpd answering on localhost')
    assert out == 'pong\n'
    # Both see the same network namespace: one set of interfaces.
    _, web_ifaces = run_in(client, capsule['uuid'], 'web', 'ip -o addr')
    _, probe_ifaces = run_in(client, capsule['uuid'], 'probe', 'ip -o addr')
    assert web_ifaces == probe_ifaces
    delete_and_wait(engine, capsule['uuid'])


@pytest.mark.parametrize('policy,docker_policy', [
    ('Always', 'always'), ('OnFailure', 'on-failure'), ('Never', 'no')])
def test_restart_policy_reaches_docker(engine, client, policy,
                                       docker_policy):
    capsule = create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'policy-%s' % policy},
        'spec': {'restartPolicy': policy,
                 'initContainers': [busybox('init', ['true'])],
                 'containers': [busybox('aa', ['sleep', '3600']),
                                busybox('bb', ['sleep', '3600'])]}})
    body = wait_status(engine, capsule['uuid'], 'Running')
    assert body['restart_policy']['Name'] == docker_policy
    for name in ('aa', 'bb'):
        host_config = docker_container(client, capsule['uuid'],
                                       name).attrs['HostConfig']
        assert host_config['RestartPolicy']['Name'] == docker_policy
    init = docker_container(client, capsule['uuid'], 'init')
    assert init.attrs['HostConfig']['RestartPolicy']['Name'] in ('no', '')
    delete_and_wait(engine, capsule['uuid'])


def test_resources_env_workdir_tty_stdin(engine, client):
    capsule = create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'settings'},
        'spec': {
            'initContainers': [busybox('init', ['true'], resources={
                'requests': {'cpu': 2, 'memory': 256}})],
            'containers': [
                busybox('main', ['sh', '-c'], args=['sleep 3600'],
                        env={'COLOUR': 'blue'}, workDir='/tmp',
                        tty=True, stdin=True,
                        resources={'requests': {'cpu': 0.5,
                                                'memory': 64}}),
                busybox('other', ['sleep', '3600'], resources={
                    'requests': {'cpu': 0.25, 'memory': 32}})]}})
    body = wait_status(engine, capsule['uuid'], 'Running')
    # Zun's totals: the apps' sum, raised to a larger init container.
    assert body['cpu'] == 2.0 and body['memory'] == '256'
    main = docker_container(client, capsule['uuid'], 'main').attrs
    assert main['Config']['Cmd'] == ['sh', '-c', 'sleep 3600']
    assert 'COLOUR=blue' in main['Config']['Env']
    assert main['Config']['WorkingDir'] == '/tmp'
    assert main['Config']['Tty'] is True
    assert main['Config']['OpenStdin'] is True
    assert main['HostConfig']['NanoCpus'] == 500_000_000
    assert main['HostConfig']['Memory'] == 64 * 1024 * 1024
    code, out = run_in(client, capsule['uuid'], 'main', 'sh -c "pwd"')
    assert out.strip() == '/tmp'
    delete_and_wait(engine, capsule['uuid'])


def test_no_template_yields_privilege(engine, client):
    capsule = create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'unprivileged'},
        'spec': {'initContainers': [busybox('init', ['true'])],
                 'containers': [busybox(
                     'main', ['sleep', '3600'],
                     volumeMounts=[{'name': 'vol', 'mountPath': '/v'}])],
                 'volumes': [{'name': 'vol', 'cinder': {
                     'size': 1, 'autoRemove': True}}]}})
    wait_status(engine, capsule['uuid'], 'Running')
    for container in labelled(client, capsule['uuid']):
        host = container.attrs['HostConfig']
        assert host['Privileged'] is False
        # Never more than Docker's defaults (test_isolation.py: the set).
        assert host['CapDrop'] == ['ALL']
        assert set(host.get('CapAdd') or ()) <= set(security.DOCKER_DEFAULT)
        assert not host.get('Devices')
        assert not host.get('Binds')
        assert host['NetworkMode'] != 'host'
        assert host['PidMode'] in ('', None)
        assert host['IpcMode'] != 'host'
        for mount in container.attrs['Mounts']:
            assert mount['Type'] == 'volume', mount
    delete_and_wait(engine, capsule['uuid'])


def test_out_of_band_removal_is_reflected(engine, client):
    capsule = create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'removed'},
        'spec': {'containers': [busybox('main', ['sleep', '3600']),
                                busybox('extra', ['sleep', '3600'])]}})
    wait_status(engine, capsule['uuid'], 'Running')
    docker_container(client, capsule['uuid'], 'extra').remove(force=True)
    body = wait_status(engine, capsule['uuid'], 'Error', timeout=15)
    assert 'extra' in body['status_reason']

    # A sync may have caught Docker's removal under way ("removing", shown
    # as Deleting); the next one, on its 'destroy' event, shows it gone.
    def extra_status():
        body = show(engine, capsule['uuid']).json()
        return [c for c in body['containers'] if c['name'] == 'extra'][0][
            'status']
    engine_support.wait_for(lambda: extra_status() == 'Deleted', timeout=15,
                            what='extra Deleted')
    assert show(engine, capsule['uuid']).json()['status'] == 'Error'
    delete_and_wait(engine, capsule['uuid'])
    assert labelled(client, capsule['uuid']) == []


def test_exit_is_reflected(engine, client):
    capsule = create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'exits'},
        'spec': {'restartPolicy': 'Never',
                 'containers': [busybox('main', ['sleep', '3600'])]}})
    wait_status(engine, capsule['uuid'], 'Running')
    docker_container(client, capsule['uuid'], 'main').kill()
    body = wait_status(engine, capsule['uuid'], 'Error', timeout=15)
    assert body['containers'][0]['status'] == 'Stopped'
    assert 'exited with code 137' in body['status_reason']
    delete_and_wait(engine, capsule['uuid'])


def _volume_ids(engine, ident):
    resp = requests.get(engine.url + '/v1/capsules/%s/volumes' % ident,
                        headers=HEADERS, timeout=10)
    return {v['name']: v['id'] for v in resp.json()['volumes']}


def test_volumes_survive_or_go_by_auto_remove(engine, client):
    main = busybox(
        'main', ['sh', '-c', 'echo kept > /keep/file; sleep 3600'],
        volumeMounts=[{'name': 'keep', 'mountPath': '/keep'},
                      {'name': 'scratch', 'mountPath': '/scratch'}])
    volumes = [{'name': 'keep', 'cinder': {'size': 1}},
               {'name': 'scratch', 'cinder': {'size': 1, 'autoRemove': True}}]
    capsule = create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'volumes'},
        'spec': {'containers': [main], 'volumes': volumes}})
    wait_status(engine, capsule['uuid'], 'Running')
    ids = _volume_ids(engine, capsule['uuid'])
    engine_support.wait_for(
        lambda: run_in(client, capsule['uuid'], 'main',
                       'cat /keep/file')[1] == 'kept\n', timeout=10,
        what='file written')

    # A volume attached to a live capsule is refused.
    second = {
        'kind': 'capsule', 'metadata': {'name': 'reuse'},
        'spec': {'containers': [busybox(
            'main', ['sleep', '3600'],
            volumeMounts=[{'name': 'old', 'mountPath': '/old'}])],
            'volumes': [{'name': 'old', 'cinder': {
                'volumeID': ids['keep']}}]}}
    refused = create(engine, second, expect=409)
    assert ids['keep'] in refused['errors'][0]['detail']

    delete_and_wait(engine, capsule['uuid'])
    names = {v.name for v in client.volumes.list()}
    assert 'hc-vol-%s' % ids['keep'] in names
    assert 'hc-vol-%s' % ids['scratch'] not in names

    # Now free, the kept volume attaches to a new capsule with its data.
    reused = create(engine, second)
    wait_status(engine, reused['uuid'], 'Running')
    assert run_in(client, reused['uuid'], 'main', 'cat /old/file') == (
        0, 'kept\n')
    delete_and_wait(engine, reused['uuid'])
    assert 'hc-vol-%s' % ids['keep'] in {v.name for v in
                                         client.volumes.list()}


def test_a_stopped_sandbox_is_brought_back_with_its_network(engine, client):
    capsule = create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'revived'},
        'spec': {'containers': [
            busybox('web', ['sh', '-c', 'echo up > /www/ok; '
                                        'exec httpd -f -p 8080 -h /www']),
            busybox('probe', ['sleep', '3600'])]}})
    wait_status(engine, capsule['uuid'], 'Running')
    client.containers.get('hc-%s' % capsule['uuid']).stop(timeout=0)

    def sandbox_running():
        sandbox = client.containers.get('hc-%s' % capsule['uuid'])
        return sandbox if sandbox.status == 'running' else None
    sandbox = engine_support.wait_for(sandbox_running, timeout=30,
                                      what='sandbox started again')

    def restarted(name):
        try:
            started = docker_container(client, capsule['uuid'],
                                       name).attrs['State']['StartedAt']
        except docker.errors.NotFound:   # being replaced right now
            return False
        return started >= sandbox.attrs['State']['StartedAt']

    def serving():
        # The old containers keep the old namespace alive, and serve each
        # other in it, until their graceful replacement is over.
        body = show(engine, capsule['uuid']).json()
        if body['status'] != 'Running' or not (
                restarted('web') and restarted('probe')):
            return None
        try:
            code, out = run_in(client, capsule['uuid'], 'probe',
                               'wget -qO- http://127.0.0.1:8080/ok')
        except docker.errors.APIError:   # being replaced right now
            return None
        return out if code == 0 else None
    assert engine_support.wait_for(serving, timeout=30,
                                   what='capsule serving again') == 'up\n'
    # Both app containers were started again inside the new namespace.
    for name in ('web', 'probe'):
        started = docker_container(client, capsule['uuid'],
                                   name).attrs['State']['StartedAt']
        assert started >= sandbox.attrs['State']['StartedAt'], name
    delete_and_wait(engine, capsule['uuid'])
