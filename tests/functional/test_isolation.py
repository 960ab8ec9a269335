"""Tenant isolation and least privilege, read from Docker's own configuration.

Per-project networks are checked through ``docker inspect`` of sandboxes
and networks (membership, labels, subnets, ICC), never by sending traffic to
a container's address from the host; the one reachability check runs inside
a capsule and names the other capsule (Docker's DNS on the project network).
Capabilities and no-new-privileges are checked on every container kind by
inspect and by the kernel's view of the running processes (/proc/<pid>/
status on the host).
"""

import ipaddress
import os
import random
import shutil
import subprocess
import threading
import uuid

import docker
import pytest

from heat_capsule.engine.runtime import networks
from heat_capsule.engine.runtime import security
from heat_capsule.engine.runtime import spec as rspec
from tests.support import capsule_api
from tests.support import engine as engine_support

# Linux capability numbers (linux/capability.h) of Docker's default set.
CAP_BITS = {'CHOWN': 0, 'DAC_OVERRIDE': 1, 'FOWNER': 3, 'FSETID': 4,
            'KILL': 5, 'SETGID': 6, 'SETUID': 7, 'SETPCAP': 8,
            'NET_BIND_SERVICE': 10, 'NET_RAW': 13, 'SYS_CHROOT': 18,
            'MKNOD': 27, 'AUDIT_WRITE': 29, 'SETFCAP': 31}


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


@pytest.fixture(scope='module')
def api(client):
    return client.api


def web(name, page):
    """A busybox httpd on 8080 serving `page` (no extra capability)."""
    return {'kind': 'capsule', 'metadata': {'name': name},
            'spec': {'containers': [{
                'name': 'web', 'image': 'busybox',
                'command': ['sh', '-c', 'mkdir -p /www && echo %s > '
                            '/www/index.html && exec httpd -f -p 8080 -h '
                            '/www' % page]}]}}


def sandbox(client, capsule_uuid):
    return client.containers.get('hc-%s' % capsule_uuid)


def project_networks(api, instance):
    return {(n['Labels'] or {}).get(rspec.LABEL_PROJECT): n
            for n in api.networks(filters={'label': '%s=%s' % (
                rspec.LABEL_ENGINE, instance)})}


def isolated_bridges():
    """Bridges Docker's iptables rules cut off from every other bridge:
    in DOCKER-ISOLATION-STAGE-1 (out of it to another interface: stage 2)
    and in STAGE-2 (into it: DROP)."""
    def rules(chain):
        return subprocess.run(['iptables', '-w', '-S', chain], check=True,
                              capture_output=True, text=True).stdout
    leaving = {line.split()[3] for line in rules(
        'DOCKER-ISOLATION-STAGE-1').splitlines()
        if line.endswith('-j DOCKER-ISOLATION-STAGE-2')}
    dropped = {line.split()[3] for line in rules(
        'DOCKER-ISOLATION-STAGE-2').splitlines() if line.endswith('-j DROP')}
    return leaving & dropped


def free_pool(api, prefix):
    """A /`prefix` inside 10.252.0.0/16 no Docker network overlaps."""
    taken = networks.subnets_in_use(api)
    blocks = list(ipaddress.ip_network('10.252.0.0/16').subnets(
        new_prefix=prefix))
    random.shuffle(blocks)
    for block in blocks:
        if not any(block.overlaps(other) for other in taken):
            return block
    pytest.fail('no free /%d in 10.252.0.0/16' % prefix)


# --- per-project networks ----------------------------------------------------

def test_each_project_has_a_network_of_its_own(engine, client, api):
    project_a, project_b = 'iso-a-' + uuid.uuid4().hex[:6], 'iso-b'
    a1 = capsule_api.create(engine, web('a1', 'page-of-a1'),
                            project=project_a)
    a2 = capsule_api.create(engine, web('a2', 'page-of-a2'),
                            project=project_a)
    b1 = capsule_api.create(engine, web('b1', 'page-of-b1'),
                            project=project_b)
    for capsule, project in ((a1, project_a), (a2, project_a),
                             (b1, project_b)):
        capsule.update(capsule_api.wait_status(
            engine, capsule['uuid'], 'Running', project=project))

    boxes = {key: sandbox(client, c['uuid']).attrs
             for key, c in (('a1', a1), ('a2', a2), ('b1', b1))}
    attached = {key: box['NetworkSettings']['Networks']
                for key, box in boxes.items()}
    assert all(len(nets) == 1 for nets in attached.values()), attached
    net_of = {key: list(nets.values())[0]['NetworkID']
              for key, nets in attached.items()}
    assert net_of['a1'] == net_of['a2'] != net_of['b1']

    found = project_networks(api, engine.instance)
    assert set(found) >= {project_a, project_b}
    pool = ipaddress.ip_network(networks.DEFAULT_SUBNET_POOL)
    subnets = {}
    for project, keys in ((project_a, ('a1', 'a2')), (project_b, ('b1',))):
        network = api.inspect_network(found[project]['Id'])
        assert network['Id'] == net_of[keys[0]]
        assert network['Driver'] == 'bridge' and not network['Internal']
        assert network['Labels'][rspec.LABEL_NETWORK] == 'project'
        assert network['Options'][networks.ICC_OPTION] == 'true'
        # Docker's membership: exactly this project's sandboxes; the app
        # containers live in their sandbox's namespace, on no network.
        assert set(network['Containers']) == {boxes[k]['Id'] for k in keys}
        subnet = ipaddress.ip_network(network['IPAM']['Config'][0]['Subnet'])
        assert subnet.prefixlen == 24 and subnet.subnet_of(pool)
        subnets[project] = subnet
        for key in keys:
            addr = list(attached[key].values())[0]['IPAddress']
            assert ipaddress.ip_address(addr) in subnet
            capsule = {'a1': a1, 'a2': a2, 'b1': b1}[key]
            # Zun's form, keyed by the project network's id.
            assert capsule['addresses'] == {network['Id']: [{
                'addr': addr, 'version': 4, 'preserve_on_delete': False,
                'port': list(attached[key].values())[0]['EndpointID'],
                'subnet_id': networks.make_subnet_id(network['Id'],
                                                     str(subnet))}]}
    assert not subnets[project_a].overlaps(subnets[project_b])
    # Docker's rules isolating bridge networks hold for both.
    if os.geteuid() == 0 and shutil.which('iptables'):
        bridges = isolated_bridges()
        for project in (project_a, project_b):
            assert 'br-%s' % found[project]['Id'][:12] in bridges
    for capsule in (a1, a2, b1):
        app = client.containers.get('hc-%s-web' % capsule['uuid'])
        assert app.attrs['HostConfig']['NetworkMode'] == (
            'container:%s' % sandbox(client, capsule['uuid']).id)

    # Inside project A, a capsule finds the other by its Docker name (the
    # project network's DNS) and reaches it. (busybox's own resolver: the
    # static busybox's wget cannot resolve names itself.)
    inside_a1 = client.containers.get('hc-%s-web' % a1['uuid'])
    code, output = inside_a1.exec_run(
        ['nslookup', 'hc-%s' % a2['uuid'], '127.0.0.11'])
    a2_addr = list(attached['a2'].values())[0]['IPAddress']
    assert code == 0 and 'Address: %s\n' % a2_addr in output.decode(), \
        output
    code, output = inside_a1.exec_run(
        ['timeout', '10', 'wget', '-q', '-O-', 'http://%s:8080/index.html'
         % a2_addr])
    assert (code, output.decode().strip()) == (0, 'page-of-a2')

    # The network goes with the project's last capsule, not before.
    capsule_api.delete_and_wait(engine, a1['uuid'], project=project_a)
    assert project_a in project_networks(api, engine.instance)
    capsule_api.delete_and_wait(engine, a2['uuid'], project=project_a)
    engine_support.wait_for(
        lambda: project_a not in project_networks(api, engine.instance),
        timeout=30, what='network of %s removed' % project_a)
    capsule_api.delete_and_wait(engine, b1['uuid'], project=project_b)
    engine_support.wait_for(
        lambda: project_b not in project_networks(api, engine.instance),
        timeout=30, what='network of %s removed' % project_b)


def test_the_resync_removes_networks_of_projects_without_capsules(
        engine, api):
    # What a crash between a capsule's delete and its network's removal
    # leaves behind: a network of the engine for a project with no capsule.
    left = networks.ProjectNetworks(lambda: api, engine.instance).ensure(
        'iso-orphan')
    assert api.inspect_network(left.id)['Labels'][rspec.LABEL_ENGINE] == \
        engine.instance
    engine_support.wait_for(
        lambda: 'iso-orphan' not in project_networks(api, engine.instance),
        timeout=30, what='orphan network collected')


def test_a_network_being_used_for_a_sandbox_is_never_released(api):
    owner = networks.ProjectNetworks(
        lambda: api, 'hc-iso-%s' % uuid.uuid4().hex[:8],
        str(free_pool(api, 24)), 24)
    try:
        with owner.using('busy'):
            made = owner.ensure('busy')
            # The database already says "no capsule" (the last one was
            # just deleted) while a new capsule's sandbox is being set up.
            assert not owner.release('busy', lambda: False)
            assert owner.collect(lambda project_id: False) == []
            assert api.inspect_network(made.id)
        assert owner.release('busy', lambda: False)
    finally:
        owner.collect(lambda project_id: False)


def test_a_subnet_taken_meanwhile_is_skipped(api, monkeypatch):
    pool = free_pool(api, 22)
    first, second = list(pool.subnets(new_prefix=24))[:2]
    instance = 'hc-iso-%s' % uuid.uuid4().hex[:8]
    owner = networks.ProjectNetworks(lambda: api, instance, str(pool), 24)
    stale = networks.subnets_in_use(api)
    # Another engine takes the first block after this one looked.
    foreign = api.create_network(
        instance + '-foreign', driver='bridge',
        ipam=docker.types.IPAMConfig(pool_configs=[
            docker.types.IPAMPool(subnet=str(first))]))['Id']
    monkeypatch.setattr(networks, 'subnets_in_use', lambda _api: stale)
    try:
        network = owner.ensure('demo')
        assert network.subnet == str(second)   # Docker refused the first
    finally:
        api.remove_network(foreign)
        owner.collect(lambda project_id: False)


def test_engines_allocating_at_once_share_the_pool(api):
    pool = free_pool(api, 21)                  # 8 blocks of /24
    owners = [networks.ProjectNetworks(
        lambda: api, 'hc-iso-%s' % uuid.uuid4().hex[:8], str(pool), 24)
        for _ in range(8)]
    barrier = threading.Barrier(len(owners))
    results, errors = {}, []

    def allocate(owner):
        barrier.wait()
        try:
            results[owner.instance] = owner.ensure('demo')
        except Exception as e:  # noqa: reported below
            errors.append(e)

    threads = [threading.Thread(target=allocate, args=(o,)) for o in owners]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors
        assert sorted(n.subnet for n in results.values()) == sorted(
            str(b) for b in pool.subnets(new_prefix=24))
        with pytest.raises(networks.SubnetPoolExhausted,
                           match='no free /24 .* pool %s' % pool):
            owners[0].ensure('one-more')
    finally:
        for owner in owners:
            owner.collect(lambda project_id: False)


def test_an_exhausted_pool_fails_new_projects_until_a_block_frees(
        api, busybox_image):
    pool = free_pool(api, 24)
    engine = engine_support.EngineProcess(extra_conf=(
        '[isolation]\nsubnet_pool = %s\nsubnet_prefix = 24\n' % pool))
    engine.start()
    try:
        first = capsule_api.create(engine, web('first', 'x'),
                                   project='iso-owner')
        capsule_api.wait_status(engine, first['uuid'], 'Running',
                                project='iso-owner')
        late = capsule_api.create(engine, web('late', 'y'), project='iso-late')
        failed = capsule_api.wait_status(engine, late['uuid'], 'Error',
                                         project='iso-late')
        assert 'no free /24 subnet is left in the capsule subnet pool %s' \
            % pool in failed['status_reason']
        capsule_api.delete_and_wait(engine, first['uuid'],
                                    project='iso-owner')
        again = capsule_api.create(engine, web('again', 'z'),
                                   project='iso-late')
        running = capsule_api.wait_status(engine, again['uuid'], 'Running',
                                          project='iso-late')
        (network_id,) = running['addresses']
        assert api.inspect_network(network_id)['IPAM']['Config'][0][
            'Subnet'] == str(pool)
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())


# --- least privilege --------------------------------------------------------

def _process_status(client, container_id):
    """{field: value} of /proc/<pid>/status of a running container's PID 1,
    read on the host."""
    pid = client.api.inspect_container(container_id)['State']['Pid']
    with open('/proc/%d/status' % pid) as handle:
        return dict(line.rstrip('\n').split(':\t', 1) for line in handle)


def _mask(names):
    return sum(1 << CAP_BITS[name] for name in names)


def _security(container):
    host = container.attrs['HostConfig']
    return (host['CapDrop'], sorted(c.replace('CAP_', '')
                                    for c in host['CapAdd'] or ()),
            host['SecurityOpt'] or [])


def _every_kind(engine, client, project='iso-priv'):
    capsule = capsule_api.create(engine, {
        'kind': 'capsule', 'metadata': {'name': 'least'},
        'spec': {
            'initContainers': [{
                'name': 'init', 'image': 'busybox',
                'command': ['sh', '-c', 'echo from-init > /www/index.html'],
                'volumeMounts': [{'name': 'www', 'mountPath': '/www'}]}],
            'containers': [{
                'name': 'web', 'image': 'busybox',
                'command': ['httpd', '-f', '-p', '8080', '-h', '/www'],
                'volumeMounts': [{'name': 'www', 'mountPath': '/www'}]}],
            'volumes': [{'name': 'www', 'cinder': {
                'size': 1, 'autoRemove': True}}]}}, project=project)
    capsule_api.wait_status(engine, capsule['uuid'], 'Running',
                            project=project)
    label = '%s=%s' % (rspec.LABEL_CAPSULE, capsule['uuid'])
    kinds = {c.labels[rspec.LABEL_ROLE]: c for c in client.containers.list(
        all=True, filters={'label': label})}
    assert set(kinds) == {'sandbox', 'init', 'app'}
    return capsule, kinds


def test_every_container_kind_runs_with_least_privilege(engine, client):
    capsule, kinds = _every_kind(engine, client)
    kept = sorted(security.DEFAULT)
    assert 'NET_RAW' not in kept
    assert _security(kinds['sandbox']) == (
        ['ALL'], [], [security.NO_NEW_PRIVILEGES])
    for role in ('init', 'app'):
        assert _security(kinds[role]) == (
            ['ALL'], kept, [security.NO_NEW_PRIVILEGES]), role
    assert kinds['init'].attrs['State']['ExitCode'] == 0

    # The kernel agrees, for the running processes.
    for role, names in (('sandbox', ()), ('app', kept)):
        status = _process_status(client, kinds[role].id)
        assert int(status['CapEff'], 16) == _mask(names), role
        assert int(status['CapBnd'], 16) == _mask(names), role
        assert status['NoNewPrivs'].strip() == '1', role
    app = kinds['app']
    code, output = app.exec_run(['wget', '-q', '-O-',
                                 'http://127.0.0.1:8080/index.html'])
    assert (code, output) == (0, b'from-init\n')     # httpd serves
    # No NET_RAW: ping is refused.  Its output goes to a file, read back
    # until the read shows it: Docker 20.10 sometimes returns an exec's
    # exit code with none of its output (seen once here, code 1 and b'').
    app.exec_run(['sh', '-c', 'ping -c 1 -W 1 127.0.0.1 > /tmp/ping.out '
                  '2>&1; echo "exit $?" >> /tmp/ping.out'])
    output = engine_support.wait_for(
        lambda: app.exec_run(['cat', '/tmp/ping.out']).output,
        timeout=30, what="ping's output")
    assert b'permission denied' in output and b'exit 0' not in output, \
        output
    capsule_api.delete_and_wait(engine, capsule['uuid'], project='iso-priv')


def test_the_capability_set_is_configurable_within_dockers(client,
                                                           busybox_image):
    engine = engine_support.EngineProcess(extra_conf=(
        '[isolation]\ncapabilities = NET_BIND_SERVICE\n'
        'no_new_privileges = false\n'))
    engine.start()
    try:
        capsule, kinds = _every_kind(engine, client)
        assert _security(kinds['app']) == (['ALL'], ['NET_BIND_SERVICE'],
                                           [])
        assert _security(kinds['sandbox']) == (['ALL'], [], [])
        status = _process_status(client, kinds['app'].id)
        assert int(status['CapEff'], 16) == _mask(['NET_BIND_SERVICE'])
        assert status['NoNewPrivs'].strip() == '0'
        capsule_api.delete_and_wait(engine, capsule['uuid'],
                                    project='iso-priv')
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())

    # A capability Docker does not grant by default cannot be configured.
    refused = engine_support.EngineProcess(
        extra_conf='[isolation]\ncapabilities = CHOWN, SYS_ADMIN\n')
    with pytest.raises(RuntimeError, match='engine exited'):
        refused.start()
    with open(refused.state_dir + '/engine.log') as handle:
        assert "capabilities" in (text := handle.read()) and \
            "found 'SYS_ADMIN'" in text
