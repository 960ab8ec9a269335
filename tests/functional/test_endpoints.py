"""Reaching a capsule's services: hostPort, the publish address, endpoints.

A real engine process on real Docker.  Every port is published on
127.0.0.1 (the default ``[runtime] publish_address``) and fetched there,
never on a container's own address.
"""

import socket

import docker
import pytest
import requests

from tests.functional import test_capsule_runtime as runtime_tests
from tests.support import engine as engine_support

HEADERS = runtime_tests.HEADERS
create = runtime_tests.create
wait_status = runtime_tests.wait_status
delete_and_wait = runtime_tests.delete_and_wait
labelled = runtime_tests.labelled
HTTPD = ['sh', '-c', 'echo hello from $0 > /tmp/index.html; '
         'exec httpd -f -p $0 -h /tmp']


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def httpd(name, port, **port_fields):
    return {'name': name, 'image': 'busybox', 'command': HTTPD + [str(port)],
            'ports': [dict(containerPort=port, **port_fields)]}


def sleeper(name, ports):
    return {'name': name, 'image': 'busybox', 'command': ['sleep', '3600'],
            'ports': ports}


def capsule_template(name, *containers):
    return {'kind': 'capsule', 'metadata': {'name': name},
            'spec': {'containers': list(containers)}}


def endpoints(engine, ident, headers=HEADERS):
    resp = requests.get('%s/v1/capsules/%s/endpoints' % (engine.url, ident),
                        headers=headers, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()['endpoints']


def fetch(url):
    try:
        resp = requests.get(url, timeout=2)
    except requests.RequestException:
        return None
    return resp.text if resp.status_code == 200 else None


def test_host_port_and_ephemeral_port_are_listed_and_answer(engine, client):
    fixed = engine_support.free_port()
    capsule = create(engine, capsule_template(
        'endpoints-web', httpd('fixed', 8080, hostPort=fixed),
        httpd('ephemeral', 8081)))
    wait_status(engine, capsule['uuid'], 'Running')

    found = endpoints(engine, capsule['uuid'])

    sandbox = client.containers.get('hc-%s' % capsule['uuid'])
    ephemeral = int(sandbox.attrs['NetworkSettings']['Ports'][
        '8081/tcp'][0]['HostPort'])
    assert found == [
        {'container': 'fixed', 'container_port': 8080, 'protocol': 'tcp',
         'host_ip': '127.0.0.1', 'host_port': fixed},
        {'container': 'ephemeral', 'container_port': 8081,
         'protocol': 'tcp', 'host_ip': '127.0.0.1',
         'host_port': ephemeral}]
    for endpoint in found:
        url = 'http://%(host_ip)s:%(host_port)d/' % endpoint
        assert engine_support.wait_for(
            lambda: fetch(url), timeout=30, what=url) == \
            'hello from %d\n' % endpoint['container_port']
    delete_and_wait(engine, capsule['uuid'])


def _conflict(engine, template, port, protocol, holder=None):
    resp = requests.post(engine.url + '/v1/capsules',
                         json={'template': template}, headers=HEADERS,
                         timeout=10)
    assert resp.status_code == 409, resp.text
    detail = resp.json()['errors'][0]['detail']
    assert 'Host port %d/%s is in use' % (port, protocol) in detail, detail
    if holder:
        assert holder in detail, detail
    return detail


def _names(engine):
    resp = requests.get(engine.url + '/v1/capsules', headers=HEADERS,
                        timeout=10)
    return [c['name'] for c in resp.json()['capsules']]


def test_a_host_port_held_by_a_capsule_is_refused_tcp_and_udp(engine):
    tcp, udp = engine_support.free_port(), free_udp_port()
    holder = create(engine, capsule_template(
        'endpoints-holder', sleeper('main', [
            {'containerPort': 80, 'hostPort': tcp},
            {'containerPort': 53, 'protocol': 'UDP', 'hostPort': udp}])))

    _conflict(engine, capsule_template(
        'endpoints-tcp-loser', sleeper('main', [
            {'containerPort': 8080, 'hostPort': tcp}])),
        tcp, 'tcp', holder['uuid'])
    _conflict(engine, capsule_template(
        'endpoints-udp-loser', sleeper('main', [
            {'containerPort': 5353, 'protocol': 'UDP', 'hostPort': udp}])),
        udp, 'udp', holder['uuid'])
    # Another project is told the port is taken, not by which capsule.
    other = dict(HEADERS, **{'X-Project-Id': 'endpoints-other-project'})
    resp = requests.post(engine.url + '/v1/capsules', json={
        'template': capsule_template('endpoints-other', sleeper('main', [
            {'containerPort': 80, 'hostPort': tcp}]))}, headers=other,
        timeout=10)
    assert resp.status_code == 409, resp.text
    assert holder['uuid'] not in resp.text
    # Nothing of the refused capsules was stored.
    assert not {'endpoints-tcp-loser', 'endpoints-udp-loser'} & set(
        _names(engine))

    wait_status(engine, holder['uuid'], 'Running')
    assert sorted((e['protocol'], e['host_port']) for e in endpoints(
        engine, holder['uuid'])) == [('tcp', tcp), ('udp', udp)]
    delete_and_wait(engine, holder['uuid'])
    # Released with the capsule.
    again = create(engine, capsule_template(
        'endpoints-again', sleeper('main', [
            {'containerPort': 8080, 'hostPort': tcp}])))
    wait_status(engine, again['uuid'], 'Running')
    delete_and_wait(engine, again['uuid'])


@pytest.mark.parametrize('protocol', ['TCP', 'UDP'])
def test_a_host_port_held_by_a_host_program_is_a_clear_error(
        engine, client, protocol):
    kind = socket.SOCK_STREAM if protocol == 'TCP' else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as held:
        held.bind(('127.0.0.1', 0))
        if protocol == 'TCP':
            held.listen(1)
        port = held.getsockname()[1]
        capsule = create(engine, capsule_template(
            'endpoints-held-%s' % protocol.lower(), sleeper('main', [
                {'containerPort': 7000, 'protocol': protocol,
                 'hostPort': port}])))
        body = wait_status(engine, capsule['uuid'], 'Error')
    reason = body['status_reason']
    assert 'host port %d/%s on 127.0.0.1' % (port, protocol.lower()) in \
        reason, reason
    assert 'already in use' in reason, reason
    # Nothing half-made: the sandbox that could not start is gone.
    assert labelled(client, capsule['uuid']) == []
    delete_and_wait(engine, capsule['uuid'])


def test_privileged_and_doubled_host_ports_are_refused(engine):
    for ports, words in (
            ([{'containerPort': 80, 'hostPort': 80}], 'privileged port'),
            ([{'containerPort': 80, 'hostPort': 40000},
              {'containerPort': 81, 'hostPort': 40000}],
             'host port 40000/tcp is given to container ports 80 and 81')):
        resp = requests.post(engine.url + '/v1/capsules', json={
            'template': capsule_template('endpoints-bad', sleeper(
                'main', ports))}, headers=HEADERS, timeout=10)
        assert resp.status_code == 400, resp.text
        assert words in resp.text


def test_endpoints_follow_a_restart_of_the_sandbox(engine, client):
    capsule = create(engine, capsule_template(
        'endpoints-restart', httpd('web', 8080)))
    wait_status(engine, capsule['uuid'], 'Running')
    before = endpoints(engine, capsule['uuid'])
    sandbox = client.containers.get('hc-%s' % capsule['uuid'])
    # Both stopped, as a daemon restart leaves them; the ephemeral port is
    # held while Docker re-publishes, so it must move.
    client.containers.get('hc-%s-web' % capsule['uuid']).stop(timeout=1)
    sandbox.stop(timeout=1)
    with socket.socket() as held:
        held.bind(('127.0.0.1', before[0]['host_port']))
        held.listen(1)
        sandbox.start()

        def moved():
            found = endpoints(engine, capsule['uuid'])
            return found if found and found != before else None
        after = engine_support.wait_for(moved, timeout=60,
                                        what='endpoints moved')
    ports = client.api.inspect_container(sandbox.id)['NetworkSettings'][
        'Ports']
    assert after == [dict(before[0], host_port=int(
        ports['8080/tcp'][0]['HostPort']))]
    wait_status(engine, capsule['uuid'], 'Running')
    url = 'http://127.0.0.1:%d/' % after[0]['host_port']
    assert engine_support.wait_for(lambda: fetch(url), timeout=60,
                                   what=url) == 'hello from 8080\n'
    delete_and_wait(engine, capsule['uuid'])


def test_endpoints_of_an_unknown_capsule_are_404(engine):
    resp = requests.get(engine.url + '/v1/capsules/nope/endpoints',
                        headers=HEADERS, timeout=10)
    assert resp.status_code == 404
