"""The Docker driver against a real Docker engine (no mocks).

Each test reads as one behaviour of a capsule on Docker.  Containers are
reached only through ``docker exec`` or a port published on 127.0.0.1, never
through a container IP.
"""

import ipaddress
import threading
import urllib.request
import uuid

import docker
import pytest

from heat_capsule.engine.runtime.docker import driver as docker_driver
from heat_capsule.engine.runtime.docker import naming
from heat_capsule.engine.runtime import images
from heat_capsule.engine.runtime import security
from heat_capsule.engine.runtime import spec
from tests.functional.conftest import app
from tests.functional.conftest import exec_in
from tests.functional.conftest import init
from tests.functional.conftest import run_capsule
from tests.functional.conftest import wait_for

HTTPD = ('sh', '-c', 'echo hello from web > /www/index.html; '
                     'exec httpd -f -p 8080 -h /www')
SLEEP = ('sleep', '300')


def inspect(docker_client, docker_id):
    return docker_client.api.inspect_container(docker_id)


def fetch_over_localhost(docker_client, docker_id):
    code, output = exec_in(docker_client, docker_id,
                           'wget', '-qO-', 'http://127.0.0.1:8080/')
    return output if code == 0 else None


# --- networking: one namespace per capsule -----------------------------------

def test_containers_of_a_capsule_talk_over_localhost(driver, docker_client,
                                                     new_capsule):
    web = app('web', *HTTPD, ports=(spec.Port(8080),))
    client = app('client', *SLEEP)
    capsule = new_capsule([web, client], hostname='demo-capsule')

    states = run_capsule(driver, capsule)

    client_id = states[client.uuid].docker_id
    assert wait_for(lambda: fetch_over_localhost(
        docker_client, client_id)) == 'hello from web\n'
    assert exec_in(docker_client, client_id, 'hostname') == (
        0, 'demo-capsule\n')
    namespaces = {
        state.docker_id: exec_in(docker_client, state.docker_id, 'readlink',
                                 '/proc/self/ns/net', '/proc/self/ns/ipc')
        for state in (states[web.uuid], states[client.uuid])}
    assert len(set(namespaces.values())) == 1


def test_capsule_ports_are_published_on_the_publish_host(driver,
                                                         docker_client,
                                                         new_capsule):
    web = app('web', *HTTPD, ports=(spec.Port(8080),))
    other = app('other', *SLEEP, ports=(spec.Port(5353, 'udp'),))
    capsule = new_capsule([web, other])

    sandbox = run_capsule(driver, capsule)['sandbox']

    ports = inspect(docker_client, sandbox.docker_id)['NetworkSettings'][
        'Ports']
    assert set(ports) == {'8080/tcp', '5353/udp'}
    binding = ports['8080/tcp'][0]
    assert binding['HostIp'] == '127.0.0.1' and int(binding['HostPort'])

    def fetch():
        url = 'http://127.0.0.1:%s/' % binding['HostPort']
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.read()
        except OSError:
            return None

    assert wait_for(fetch) == b'hello from web\n'


def test_addresses_and_hostname_come_from_the_sandbox(driver, new_capsule):
    capsule = new_capsule([app('main', *SLEEP)])

    run_capsule(driver, capsule)

    network = driver.ensure_network(capsule.project_id)
    [address] = driver.addresses(capsule.uuid)
    assert address.version == 4
    assert (address.network_id, address.subnet_id) == (
        network.id, network.subnet_id)
    assert ipaddress.ip_address(address.addr) in ipaddress.ip_network(
        network.subnet)
    assert address.port   # the endpoint id
    assert driver.hostname(capsule.uuid) == naming.default_hostname(
        capsule.uuid)
    assert driver.addresses(str(uuid.uuid4())) == []


def test_ensure_network_is_idempotent_and_labelled(driver, docker_client):
    first = driver.ensure_network('idempotent')
    assert driver.ensure_network('idempotent') == first
    network = docker_client.networks.get(first.id)
    assert network.attrs['Labels'][spec.LABEL_NETWORK] == 'project'
    assert network.attrs['Labels'][spec.LABEL_PROJECT] == 'idempotent'
    assert network.attrs['Driver'] == 'bridge'
    assert driver.release_network('idempotent', lambda: False)


# --- init containers and volumes ---------------------------------------------

def test_init_container_fills_a_volume_an_app_container_reads(
        driver, docker_client, new_capsule):
    volume = spec.VolumeSpec(uuid=str(uuid.uuid4()), auto_remove=True,
                             size=1)
    mount = (spec.Mount(volume.uuid, '/data'),)
    writer = init('writer', 'sh', '-c', 'echo written by init > /data/msg',
                  mounts=mount)
    reader = app('reader', *SLEEP, mounts=mount)
    capsule = new_capsule([reader], init_containers=[writer],
                          volumes=[volume])
    driver.ensure_volume(volume, capsule.uuid)

    states = run_capsule(driver, capsule)

    assert states[writer.uuid].exit_code == 0
    assert exec_in(docker_client, states[reader.uuid].docker_id,
                   'cat', '/data/msg') == (0, 'written by init\n')


def test_failed_init_container_shows_its_exit_code_and_logs(driver,
                                                            new_capsule):
    failing = init('failing', 'sh', '-c', 'echo cannot migrate >&2; exit 3')
    capsule = new_capsule([app('main', *SLEEP)], init_containers=[failing])
    driver.ensure_sandbox(capsule)

    driver.start_container(capsule, failing)
    state = wait_for(lambda: (driver.observe(capsule.uuid)[failing.uuid]
                              if driver.observe(capsule.uuid)[failing.uuid]
                              .status == 'Stopped' else None))

    assert state.exit_code == 3
    assert state.status_detail.startswith('Exited (3)')
    assert state.role == spec.ROLE_INIT
    assert 'cannot migrate' in driver.logs_tail(capsule.uuid, failing.uuid,
                                                10)


def test_an_exited_init_container_is_never_run_again(driver, docker_client,
                                                     new_capsule):
    once = init('once', 'true')
    capsule = new_capsule([], init_containers=[once])
    first = run_capsule(driver, capsule)[once.uuid]
    started_at = inspect(docker_client, first.docker_id)['State']['StartedAt']

    again = driver.start_container(capsule, once)

    assert again.docker_id == first.docker_id
    assert again.status == 'Stopped'
    assert inspect(docker_client, again.docker_id)['State'][
        'StartedAt'] == started_at


def test_an_exited_app_container_is_left_to_its_restart_policy(
        driver, new_capsule):
    done = app('done', 'true')
    capsule = new_capsule([done], restart_policy='no')
    first = run_capsule(driver, capsule)[done.uuid]
    wait_for(lambda: driver.observe(capsule.uuid)[done.uuid].status
             == 'Stopped')

    again = driver.start_container(capsule, done)

    assert (again.docker_id, again.status) == (first.docker_id, 'Stopped')


def test_volumes_outlive_their_capsule_until_removed(driver, docker_client,
                                                     new_capsule):
    volume = spec.VolumeSpec(uuid=str(uuid.uuid4()), auto_remove=False,
                             size=2.5)
    user = app('user', *SLEEP, mounts=(spec.Mount(volume.uuid, '/data'),))
    capsule = new_capsule([user], volumes=[volume])

    name = driver.ensure_volume(volume, capsule.uuid)
    assert driver.ensure_volume(volume, capsule.uuid) == name
    run_capsule(driver, capsule)

    labels = driver.list_volumes()[volume.uuid]
    assert labels == {spec.LABEL_VOLUME: volume.uuid,
                      spec.LABEL_CAPSULE: capsule.uuid,
                      spec.LABEL_AUTO_REMOVE: 'false',
                      spec.LABEL_ENGINE: driver.instance,
                      naming.LABEL_SIZE: '2.5'}
    with pytest.raises(spec.CapsuleRuntimeError, match='in use'):
        driver.remove_volume(volume.uuid)

    driver.remove_capsule(capsule.uuid)
    assert driver.volume_exists(volume.uuid)
    # The volume still names the capsule, but only containers count.
    assert capsule.uuid not in driver.list_capsule_uuids()

    driver.remove_volume(volume.uuid)
    driver.remove_volume(volume.uuid)
    assert not driver.volume_exists(volume.uuid)
    assert volume.uuid not in driver.list_volumes()
    assert capsule.uuid not in driver.list_capsule_uuids()


def test_a_mount_of_an_unknown_volume_is_refused(driver, new_capsule):
    stray = app('stray', *SLEEP,
                mounts=(spec.Mount(str(uuid.uuid4()), '/data'),))
    capsule = new_capsule([stray])
    driver.ensure_sandbox(capsule)

    with pytest.raises(spec.CapsuleRuntimeError, match='is missing'):
        driver.start_container(capsule, stray)


# --- what Docker is asked for ------------------------------------------------

@pytest.mark.parametrize('policy,docker_policy', [
    ('always', 'always'), ('on-failure', 'on-failure'), ('no', 'no')])
def test_restart_policies(driver, docker_client, new_capsule, policy,
                          docker_policy):
    first = init('first', 'true')
    main = app('main', *SLEEP)
    capsule = new_capsule([main], init_containers=[first],
                          restart_policy=policy)

    states = run_capsule(driver, capsule)

    def restart_policy(key):
        return inspect(docker_client, states[key].docker_id)['HostConfig'][
            'RestartPolicy']

    assert restart_policy(main.uuid) == {'Name': docker_policy,
                                         'MaximumRetryCount': 0}
    assert restart_policy(first.uuid)['Name'] == 'no'
    assert restart_policy('sandbox')['Name'] == 'unless-stopped'


def test_no_container_gets_host_privileges(driver, docker_client,
                                           new_capsule):
    volume = spec.VolumeSpec(uuid=str(uuid.uuid4()), auto_remove=True)
    mount = (spec.Mount(volume.uuid, '/data'),)
    capsule = new_capsule(
        [app('main', *SLEEP, mounts=mount, ports=(spec.Port(80),))],
        init_containers=[init('first', 'true', mounts=mount)],
        volumes=[volume])

    states = run_capsule(driver, capsule)

    sandbox_id = states['sandbox'].docker_id
    for state in states.values():
        host_config = inspect(docker_client, state.docker_id)['HostConfig']
        assert host_config['Privileged'] is False
        # Only ever a subset of Docker's own defaults (tests/functional/
        # test_isolation.py checks the exact set).
        assert host_config['CapDrop'] == ['ALL']
        assert set(host_config['CapAdd'] or ()) <= set(
            security.DOCKER_DEFAULT)
        assert not host_config['Devices']
        assert not host_config['Binds']
        assert all(m['Type'] == 'volume'
                   for m in host_config.get('Mounts') or ())
        assert host_config['NetworkMode'] != 'host'
        assert host_config['PidMode'] in ('', 'private')
        assert host_config['IpcMode'] != 'host'
        if state.role != spec.ROLE_SANDBOX:
            assert host_config['NetworkMode'] == 'container:' + sandbox_id
            assert host_config['IpcMode'] == 'container:' + sandbox_id
        else:
            assert host_config['IpcMode'] == 'shareable'


def test_cpu_and_memory_limits(driver, docker_client, new_capsule):
    limited = app('limited', *SLEEP, cpu=0.5, memory=64)
    unlimited = app('unlimited', *SLEEP)
    capsule = new_capsule([limited, unlimited])

    states = run_capsule(driver, capsule)

    def limits(key):
        host_config = inspect(docker_client,
                              states[key].docker_id)['HostConfig']
        return host_config['NanoCpus'], host_config['Memory']

    assert limits(limited.uuid) == (500_000_000, 64 * 1024 * 1024)
    assert limits(unlimited.uuid) == (0, 0)


def test_command_env_and_workdir(driver, docker_client, new_capsule):
    shown = app('shown', 'sh', '-c', 'echo "$GREETING from $(pwd)"; '
                'exec sleep 300', environment=(('GREETING', 'hi'),),
                workdir='/tmp')
    capsule = new_capsule([shown])

    run_capsule(driver, capsule)

    assert wait_for(lambda: driver.logs_tail(capsule.uuid, shown.uuid, 5)) \
        == 'hi from /tmp\n'


# --- images ------------------------------------------------------------------

def test_missing_image_with_pull_policy_never(driver):
    missing = app('x', image='heat-capsule-test/missing:1',
                  image_pull_policy='never')
    with pytest.raises(spec.ImageUnavailable,
                       match='heat-capsule-test/missing:1 is not present'):
        driver.ensure_image(missing)


def test_missing_image_that_cannot_be_pulled(driver, new_capsule):
    missing = app('x', image='localhost:1/heat-capsule-test/missing:1')
    with pytest.raises(spec.ImageUnavailable) as caught:
        driver.ensure_image(missing)
    assert str(caught.value).startswith(
        'image localhost:1/heat-capsule-test/missing:1 is not present and '
        'could not be pulled: ')

    capsule = new_capsule([missing])
    driver.ensure_sandbox(capsule)
    with pytest.raises(spec.ImageUnavailable, match='missing:1'):
        driver.start_container(capsule, missing)


def test_pull_always_falls_back_to_the_local_copy(driver, docker_client,
                                                  busybox_image, suffix,
                                                  tracker):
    tag = 'localhost:1/heat-capsule-test/busybox:%s' % suffix
    tracker.images.add(tag)
    docker_client.images.get(busybox_image).tag(tag)

    assert driver.ensure_image(app('x', image=tag,
                                   image_pull_policy='always')) == 'present'
    assert driver.ensure_image(app('x', image=tag)) == 'present'


def test_the_sandbox_image_is_built_when_missing(docker_client, suffix,
                                                 tracker, new_capsule,
                                                 driver):
    tag = 'heat-capsule-test/sandbox-built:%s' % suffix
    tracker.images.add(tag)
    try:
        docker_client.images.remove(tag, force=True)
    except docker.errors.ImageNotFound:
        pass
    own = docker_driver.DockerDriver(driver.docker_url, tag,
                                     driver.network_name,
                                     default_sandbox_image=tag,
                                     instance=driver.instance)
    capsule = new_capsule([])

    sandbox = own.ensure_sandbox(capsule)

    image = docker_client.images.get(tag)
    assert image.labels[images.LABEL_IMAGE] == 'sandbox'
    assert image.attrs['Config']['Cmd'] == ['/pause']
    assert sandbox.status == 'Running'
    assert inspect(docker_client, sandbox.docker_id)['Config'][
        'StopSignal'] == 'SIGKILL'


def test_a_missing_custom_sandbox_image_is_an_image_error(driver,
                                                          new_capsule):
    own = docker_driver.DockerDriver(
        driver.docker_url, 'localhost:1/heat-capsule-test/pause:1',
        driver.network_name, instance=driver.instance)
    with pytest.raises(spec.ImageUnavailable, match='sandbox image'):
        own.ensure_sandbox(new_capsule([]))


def test_an_executable_that_does_not_exist_is_a_runtime_error(driver,
                                                              new_capsule):
    broken = app('broken', '/no/such/program')
    capsule = new_capsule([broken])
    driver.ensure_sandbox(capsule)

    with pytest.raises(spec.CapsuleRuntimeError,
                       match='/no/such/program'):
        driver.start_container(capsule, broken)
    assert driver.observe(capsule.uuid)[broken.uuid].error


# --- idempotence, drift and removal ------------------------------------------

def test_everything_is_idempotent(driver, new_capsule):
    main = app('main', *SLEEP)
    capsule = new_capsule([main])
    first = run_capsule(driver, capsule)

    assert driver.ensure_sandbox(capsule).docker_id == \
        first['sandbox'].docker_id
    assert driver.start_container(capsule, main).docker_id == \
        first[main.uuid].docker_id
    assert set(driver.observe(capsule.uuid)) == {'sandbox', main.uuid}


def test_observe_reflects_removals_done_behind_its_back(driver,
                                                        docker_client,
                                                        new_capsule):
    main = app('main', *SLEEP)
    other = app('other', *SLEEP)
    capsule = new_capsule([main, other])
    states = run_capsule(driver, capsule)
    assert {s.status for s in driver.observe(capsule.uuid).values()} == {
        'Running'}

    docker_client.api.remove_container(states[main.uuid].docker_id,
                                       force=True)
    assert set(driver.observe(capsule.uuid)) == {'sandbox', other.uuid}

    docker_client.api.remove_container(states['sandbox'].docker_id,
                                       force=True)
    assert set(driver.observe(capsule.uuid)) == {other.uuid}


def test_containers_of_a_replaced_sandbox_are_replaced(driver,
                                                       docker_client,
                                                       new_capsule):
    web = app('web', *HTTPD)
    client = app('client', *SLEEP)
    capsule = new_capsule([web, client])
    old = run_capsule(driver, capsule)
    docker_client.api.remove_container(old['sandbox'].docker_id, force=True)
    with pytest.raises(spec.CapsuleRuntimeError, match='sandbox'):
        driver.start_container(capsule, web)

    new = run_capsule(driver, capsule)

    assert new['sandbox'].docker_id != old['sandbox'].docker_id
    assert new[web.uuid].docker_id != old[web.uuid].docker_id
    assert wait_for(lambda: fetch_over_localhost(
        docker_client, new[client.uuid].docker_id)) == 'hello from web\n'


def test_containers_of_a_restarted_sandbox_are_replaced(driver,
                                                        docker_client,
                                                        new_capsule):
    web = app('web', *HTTPD)
    client = app('client', *SLEEP)
    capsule = new_capsule([web, client])
    old = run_capsule(driver, capsule)
    docker_client.api.stop(old['sandbox'].docker_id, timeout=0)

    new = run_capsule(driver, capsule)

    assert new['sandbox'].docker_id == old['sandbox'].docker_id
    assert new[web.uuid].docker_id != old[web.uuid].docker_id
    assert new[client.uuid].docker_id != old[client.uuid].docker_id
    assert wait_for(lambda: fetch_over_localhost(
        docker_client, new[client.uuid].docker_id)) == 'hello from web\n'


def test_remove_capsule_leaves_no_container(driver, docker_client,
                                            new_capsule):
    capsule = new_capsule([app('a', *SLEEP), app('b', *SLEEP)],
                          init_containers=[init('first', 'true')])
    run_capsule(driver, capsule)
    assert capsule.uuid in driver.list_capsule_uuids()

    assert driver.remove_capsule(capsule.uuid) == 4
    assert driver.remove_capsule(capsule.uuid) == 0

    label = '%s=%s' % (spec.LABEL_CAPSULE, capsule.uuid)
    assert docker_client.containers.list(all=True,
                                         filters={'label': label}) == []
    assert driver.observe(capsule.uuid) == {}
    assert capsule.uuid not in driver.list_capsule_uuids()


# --- events and an absent Docker ---------------------------------------------

def test_events_name_the_capsule_and_the_action(driver, new_capsule):
    capsule = new_capsule([app('main', *SLEEP)])
    stream = driver.events()
    seen = []
    saw_start = threading.Event()

    def follow():
        for capsule_uuid, action in stream:
            seen.append((capsule_uuid, action))
            if (capsule_uuid, action) == (capsule.uuid, 'start'):
                saw_start.set()

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    try:
        run_capsule(driver, capsule)
        assert saw_start.wait(10), seen
    finally:
        stream.close()
    follower.join(5)
    assert not follower.is_alive()
    assert all(not action.startswith('exec') for _, action in seen)


# (ids without ':', which gabbi's pytest plugin takes for its own tests)
@pytest.mark.parametrize('url', ['unix:///nonexistent/docker.sock',
                                 'tcp://127.0.0.1:1'],
                         ids=['missing-socket', 'closed-port'])
def test_an_absent_docker_is_docker_unavailable(url):
    absent = docker_driver.DockerDriver(url, 'heat-capsule/sandbox:1',
                                        'heat-capsule')
    with pytest.raises(spec.DockerUnavailable, match='not answering'):
        absent.ping()
    with pytest.raises(spec.DockerUnavailable):
        absent.observe(str(uuid.uuid4()))
    with pytest.raises(spec.DockerUnavailable):
        absent.events()
