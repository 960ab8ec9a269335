"""OS::Zun::Capsule through Heat's real engine, on a real capsule engine.

Heat runs in this process (``tests.support.heat_rig``: EngineService +
WorkerService, convergence, fake RPC, sqlite) with the resource type loaded
from the repository's ``resources/`` through ``plugin_dirs``; every request
goes through ``heat.rpc.client.EngineClient`` as heat-api sends it. The
resource reaches a ``heat-capsule-engine`` process on 127.0.0.1 through the
``container`` endpoint of the request's Keystone catalog, with the real
``zun_capsule`` client plugin and python-zunclient over HTTP, and the engine
runs the capsules on the real Docker engine.

What Heat reports is compared with what the engine's API answers and with
what Docker shows (inspect data, found by the engine's labels); nothing
connects to a container's address.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig

import docker
import pytest
import requests

from heat_capsule.engine.runtime import spec as rspec
from tests.support import engine as engine_support

TYPE = 'OS::Zun::Capsule'
API_HEADERS = {'OpenStack-API-Version': 'container 1.40'}

FULL = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      labels: {tier: test}
      restart_policy: Never
      init_containers:
        - name: prepare
          image: busybox
          command: [sh, -c, "echo prepared > /work/state"]
          cpu: 1
          memory: 64
          volume_mounts: [{name: work, mount_path: /work}]
      containers:
        - name: main
          image: busybox
          command: [sh, -c, "exec sleep 3600"]
          environment: {COLOUR: blue}
          cpu: 0.25
          memory: 32
          volume_mounts: [{name: work, mount_path: /data}]
        - name: side
          image: busybox
          command: [sleep, "3600"]
          cpu: 0.5
          memory: 48
      volumes:
        - {name: work, size: 1, auto_remove: true}
outputs:
  name: {value: {get_attr: [capsule, name]}}
  status: {value: {get_attr: [capsule, status]}}
  status_reason: {value: {get_attr: [capsule, status_reason]}}
  containers: {value: {get_attr: [capsule, containers]}}
  init_containers: {value: {get_attr: [capsule, init_containers]}}
  cpu: {value: {get_attr: [capsule, cpu]}}
  memory: {value: {get_attr: [capsule, memory]}}
  show: {value: {get_attr: [capsule, show]}}
'''

FAILING_INIT = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      init_containers:
        - name: migrate
          image: busybox
          command: [sh, -c, "echo schema version mismatch >&2; exit 3"]
      containers:
        - name: app
          image: busybox
          command: [sleep, "3600"]
outputs:
  status_reason: {value: {get_attr: [capsule, status_reason]}}
'''

# The container's environment is a parameter, so an update can change it.
SLEEPER = '''
heat_template_version: 2021-04-16
parameters:
  colour: {type: string, default: blue}
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: app
          image: busybox
          command: [sleep, "3600"]
          environment: {COLOUR: {get_param: colour}}
'''

# The second capsule learns the first one's address through get_attr.
# Addresses are keyed by the id of the project's network, which exists only
# while the project has capsules: yaql takes the first address whatever the
# key (and copes with the empty value Heat validates the template with).
TWO_CAPSULES = '''
heat_template_version: 2021-04-16
resources:
  server:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: server
          image: busybox
          command: [sleep, "3600"]
  client:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: client
          image: busybox
          command: [sleep, "3600"]
          environment:
            SERVER_ADDR:
              yaql:
                expression: >-
                  coalesce($.data, dict()).values().flatten()
                  .select($.addr).first('')
                data: {get_attr: [server, addresses]}
outputs:
  server_addresses: {value: {get_attr: [server, addresses]}}
'''

INVALID = {
    'port-out-of-range': ('''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - image: busybox
          ports: [{container_port: 70000}]
''', ['70000', 'container_port']),
    'mount-of-undeclared-volume': ('''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - image: busybox
          volume_mounts: [{name: nowhere, mount_path: /data}]
''', ['nowhere', 'volumes']),
    'unknown-property': ('''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      privileged: true
      containers:
        - image: busybox
''', ['privileged']),
    'no-containers': ('''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers: []
''', ['containers']),
    # Refused by Docker (issue 14), so refused at validation.
    'memory-below-dockers-minimum': ('''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - image: busybox
          memory: 4
''', ['memory', '6']),
    'mount-paths-equal-once-normalised': ('''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - image: busybox
          volume_mounts:
            - {name: data, mount_path: /data}
            - {name: data, mount_path: /data/.}
      volumes: [{name: data, size: 1}]
''', ['volume_mounts[1].mount_path', 'same path']),
    'volume-id-twice': ('''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - image: busybox
          volume_mounts:
            - {name: one, mount_path: /one}
            - {name: two, mount_path: /two}
      volumes:
        - {name: one, volume_id: 5b7ae2a9-0b3a-4b7e-9a0c-6e2f0e6f1c11}
        - {name: two, volume_id: 5b7ae2a9-0b3a-4b7e-9a0c-6e2f0e6f1c11}
''', ['volumes[1].volume_id', 'already used by volumes[0]']),
}


# -- fixtures ---------------------------------------------------------------

@pytest.fixture(scope='module')
def minimal(heat):
    """The stack of templates/minimal.yaml, as its create finished."""
    identity = heat.create_stack('minimal',
                                 heat.read_template('minimal.yaml'))
    stack = heat.wait(identity, 'CREATE')
    outputs = heat.outputs(identity) if stack['stack_status'] == \
        'COMPLETE' else {}
    return {'identity': identity, 'stack': stack, 'outputs': outputs,
            'uuid': physical_id(heat, identity, 'capsule')}


# -- helpers ----------------------------------------------------------------

def physical_id(heat, identity, name):
    return heat.resource(identity, name)['physical_resource_id']


def engine_get(engine, capsule_uuid):
    """The engine's answer for one capsule: (HTTP status, body)."""
    resp = requests.get('%s/v1/capsules/%s' % (engine.url, capsule_uuid),
                        headers=API_HEADERS, timeout=10)
    return resp.status_code, resp.json() if resp.content else None


def engine_capsule(engine, capsule_uuid):
    code, body = engine_get(engine, capsule_uuid)
    assert code == 200, body
    return body


def engine_capsules(engine):
    resp = requests.get(engine.url + '/v1/capsules', headers=API_HEADERS,
                        timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()['capsules']


def docker_objects(docker_client, engine, capsule_uuid):
    """Containers and volumes of one capsule of this engine, by label."""
    labels = ['%s=%s' % (rspec.LABEL_CAPSULE, capsule_uuid),
              '%s=%s' % (rspec.LABEL_ENGINE, engine.instance)]
    containers = docker_client.containers.list(all=True,
                                               filters={'label': labels})
    volumes = docker_client.volumes.list(filters={'label': labels})
    return containers, volumes


def by_role(containers):
    roles = {}
    for container in containers:
        roles.setdefault(container.labels[rspec.LABEL_ROLE],
                         []).append(container)
    return roles


def drop(mapping, *keys):
    return {k: v for k, v in mapping.items() if k not in keys}


# Container fields the engine computes from the clock when it is read.
CLOCK_FIELDS = ('status_detail', 'uptime')


def untimed(containers):
    return [drop(c, *CLOCK_FIELDS) for c in containers]


def untimed_capsule(body):
    return dict(drop(body, 'updated_at'),
                containers=untimed(body['containers']),
                init_containers=untimed(body['init_containers']))


def assert_complete(stack, action):
    assert (stack['stack_action'], stack['stack_status']) == (
        action, 'COMPLETE'), stack['stack_status_reason']


def create_and_wait(heat, name, template, parameters=None):
    identity = heat.create_stack(name, template, parameters)
    return identity, heat.wait(identity, 'CREATE')


def delete_and_wait(heat, identity):
    heat.delete_stack(identity)
    stack = heat.wait_deleted(identity)
    assert_complete(stack, 'DELETE')


def assert_gone(engine, docker_client, capsule_uuid):
    code, body = engine_get(engine, capsule_uuid)
    assert code == 404, body
    containers, volumes = docker_objects(docker_client, engine, capsule_uuid)
    assert containers == [] and volumes == []


# -- the type as Heat sees it ------------------------------------------------

def test_type_comes_from_plugin_dirs(heat):
    from heat.engine import plugins
    from heat.engine import resources

    drop_in = plugins.heat_capsule_capsule
    assert drop_in.__file__.startswith(heat_rig.RESOURCES_DIR + '/')
    registered = resources.global_env().get_class(TYPE)
    assert registered is drop_in.available_resource_mapping()[TYPE]


def test_resource_schema_lists_the_properties(heat):
    schema = heat.resource_schema(TYPE)
    assert schema['resource_type'] == TYPE
    props = schema['properties']
    assert set(props) == {'name', 'labels', 'annotations', 'restart_policy',
                          'availability_zone', 'containers',
                          'init_containers', 'volumes', 'created_when',
                          'termination_grace_period'}
    assert props['created_when']['default'] == 'started'
    assert props['containers']['required'] is True
    assert props['containers']['type'] == 'list'
    container = props['containers']['schema']['*']['schema']
    assert container['image']['required'] is True
    assert {'name', 'image', 'command', 'args', 'environment', 'workdir',
            'ports', 'cpu', 'memory', 'volume_mounts', 'tty', 'stdin',
            'image_pull_policy', 'healthcheck'} == set(container)
    assert {'cmd', 'interval', 'timeout', 'retries', 'start_period'} == set(
        container['healthcheck']['schema'])
    init = props['init_containers']['schema']['*']['schema']
    assert 'healthcheck' not in init
    assert props['restart_policy']['default'] == 'Always'
    # Zun has no update API: nothing may be updated in place.
    assert not any(p['update_allowed'] for p in props.values())
    assert {'addresses', 'status', 'status_reason', 'containers',
            'init_containers', 'cpu', 'memory', 'logs', 'show'} <= set(
                schema['attributes'])
    assert schema['support_status']['status'] == 'UNSUPPORTED'


def test_type_needs_the_container_service_in_the_catalog(heat):
    """Heat asks the request's catalog, not some fixed endpoint."""
    template = heat.parse(heat.read_template('minimal.yaml'))
    with pytest.raises(Exception) as refused:
        heat.client.create_stack(
            heat.context(catalog=False), 'no-container-service', template,
            {'parameters': {}}, {}, {'disable_rollback': True})
    assert type(refused.value).__name__.startswith(
        'ResourceTypeUnavailable'), refused.value
    assert 'container endpoint is not in service catalog' in str(
        refused.value)
    stacks = heat.client.list_stacks(heat.context())
    assert 'no-container-service' not in [s['stack_name'] for s in stacks]


# -- templates/minimal.yaml --------------------------------------------------

def test_minimal_template_reaches_create_complete(minimal, engine,
                                                  docker_client):
    assert_complete(minimal['stack'], 'CREATE')
    body = engine_capsule(engine, minimal['uuid'])
    assert body['status'] == 'Running'
    # Heat's default capsule name: the stack's and resource's names.
    assert body['name'].startswith('minimal-capsule-')
    containers, _ = docker_objects(docker_client, engine, minimal['uuid'])
    roles = by_role(containers)
    assert sorted(roles) == ['app', 'sandbox']
    app = roles['app'][0]
    assert app.status == 'running'
    assert app.attrs['Config']['Cmd'] == [
        'sh', '-c', 'while true; do sleep 3600; done']


def test_minimal_outputs_hold_the_engine_values(minimal, engine,
                                                docker_client):
    outputs = minimal['outputs']
    body = engine_capsule(engine, minimal['uuid'])
    assert outputs['status'] == body['status'] == 'Running'
    assert outputs['addresses'] == body['addresses']
    # The engine's addresses are Docker's: the sandbox's network and IP.
    containers, _ = docker_objects(docker_client, engine, minimal['uuid'])
    sandbox = by_role(containers)['sandbox'][0]
    networks = sandbox.attrs['NetworkSettings']['Networks']
    assert len(networks) == 1
    docker_net = list(networks.values())[0]
    (network_id, addresses), = outputs['addresses'].items()
    assert network_id == docker_net['NetworkID']
    assert [a['addr'] for a in addresses] == [docker_net['IPAddress']]
    assert addresses[0]['version'] == 4


def test_minimal_stack_delete_removes_capsule_and_containers(
        minimal, heat, engine, docker_client):
    containers, _ = docker_objects(docker_client, engine, minimal['uuid'])
    assert len(containers) == 2
    delete_and_wait(heat, minimal['identity'])
    assert_gone(engine, docker_client, minimal['uuid'])
    for container in containers:
        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(container.id)


# -- attributes --------------------------------------------------------------

def test_attributes_hold_the_engine_values(heat, engine, docker_client):
    identity, stack = create_and_wait(heat, 'full', FULL)
    assert_complete(stack, 'CREATE')
    capsule_uuid = physical_id(heat, identity, 'capsule')
    outputs = heat.outputs(identity)
    body = engine_capsule(engine, capsule_uuid)

    assert outputs['status'] == body['status'] == 'Running'
    assert outputs['name'] == body['name']
    # Running has no reason: the attribute is empty, not "None".
    assert body['status_reason'] is None
    assert outputs['status_reason'] == ''
    # The engine's containers, each with its template's name (the engine
    # keeps the names; a real Zun renames them, see test_heat_zun_compat).
    for key in ('containers', 'init_containers'):
        assert untimed(outputs[key]) == untimed(
            [dict(c, template_name=c['name']) for c in body[key]])
    # show is the engine's whole capsule (updated_at and what the engine
    # computes from the clock aside: Heat read it a moment before this GET).
    assert outputs['show']['updated_at']
    assert untimed_capsule(outputs['show']) == untimed_capsule(body)
    # The engine's totals (apps 0.75 CPU and 80 MiB, raised to the init
    # container's 1 CPU and 64 MiB where larger); memory as an integer.
    assert outputs['cpu'] == body['cpu'] == 1.0
    assert body['memory'] == '80'
    assert outputs['memory'] == 80

    apps = {c['name']: c for c in body['containers']}
    assert sorted(apps) == ['main', 'side']
    assert {c['status'] for c in apps.values()} == {'Running'}
    (init,) = body['init_containers']
    assert (init['name'], init['status']) == ('prepare', 'Stopped')

    # Each container the engine reports is the Docker container labelled
    # with its uuid, with the requested limits.
    containers, volumes = docker_objects(docker_client, engine, capsule_uuid)
    by_uuid = {c.labels.get(rspec.LABEL_CONTAINER): c for c in containers}
    for reported in body['containers'] + body['init_containers']:
        real = by_uuid[reported['uuid']]
        assert real.name.endswith('-' + reported['name'])
        assert real.attrs['HostConfig']['NanoCpus'] == int(
            reported['cpu'] * 1e9)
        assert real.attrs['HostConfig']['Memory'] == int(
            reported['memory']) * 1024 * 1024
    main = by_uuid[apps['main']['uuid']]
    assert main.status == 'running'
    assert 'COLOUR=blue' in main.attrs['Config']['Env']
    prepare = by_uuid[init['uuid']]
    assert prepare.attrs['State']['ExitCode'] == 0
    # The init container wrote into the volume the main container mounts.
    assert main.exec_run(['cat', '/data/state']).output == b'prepared\n'
    assert len(volumes) == 1

    delete_and_wait(heat, identity)
    assert_gone(engine, docker_client, capsule_uuid)


# -- failures ----------------------------------------------------------------

def test_failing_init_container_fails_the_create_with_its_reason(
        heat, engine, docker_client):
    identity, stack = create_and_wait(heat, 'failing-init', FAILING_INIT)
    assert (stack['stack_action'], stack['stack_status']) == (
        'CREATE', 'FAILED')
    capsule_uuid = physical_id(heat, identity, 'capsule')
    body = engine_capsule(engine, capsule_uuid)
    assert body['status'] == 'Error'
    reason = body['status_reason']
    assert 'migrate' in reason and '3' in reason
    assert 'schema version mismatch' in reason
    # Heat reports the engine's reason, on the stack and on the resource.
    assert reason in stack['stack_status_reason']
    resource = heat.resource(identity, 'capsule')
    assert resource['resource_status'] == 'FAILED'
    assert reason in resource['resource_status_reason']
    assert heat.outputs(identity)['status_reason'] == reason
    # No app container was made: the sandbox and the init container only.
    containers, _ = docker_objects(docker_client, engine, capsule_uuid)
    assert sorted(by_role(containers)) == ['init', 'sandbox']

    delete_and_wait(heat, identity)
    assert_gone(engine, docker_client, capsule_uuid)


def test_capsule_removed_out_of_band_still_lets_the_delete_complete(
        heat, engine, docker_client):
    identity, stack = create_and_wait(heat, 'out-of-band', SLEEPER)
    assert_complete(stack, 'CREATE')
    capsule_uuid = physical_id(heat, identity, 'capsule')
    resp = requests.delete('%s/v1/capsules/%s' % (engine.url, capsule_uuid),
                           headers=API_HEADERS, timeout=10)
    assert resp.status_code == 204, resp.text
    engine_support.wait_for(
        lambda: engine_get(engine, capsule_uuid)[0] == 404, timeout=30,
        what='capsule %s gone' % capsule_uuid)

    delete_and_wait(heat, identity)
    assert_gone(engine, docker_client, capsule_uuid)


@pytest.mark.parametrize('case', sorted(INVALID))
def test_invalid_template_is_refused_and_creates_nothing(
        heat, engine, docker_client, case):
    template, words = INVALID[case]
    capsules_before = {c['uuid'] for c in engine_capsules(engine)}
    containers_before = {c.id for c in docker_client.containers.list(
        all=True, filters={'label': '%s=%s' % (rspec.LABEL_ENGINE,
                                               engine.instance)})}
    name = 'invalid-' + case
    with pytest.raises(Exception) as refused:
        heat.create_stack(name, template)
    assert type(refused.value).__name__.startswith('StackValidationFailed')
    message = str(refused.value)
    for word in words:
        assert word in message, message

    stack_names = [s['stack_name'] for s in
                   heat.client.list_stacks(heat.context())]
    assert name not in stack_names
    assert {c['uuid'] for c in engine_capsules(engine)} == capsules_before
    containers_after = {c.id for c in docker_client.containers.list(
        all=True, filters={'label': '%s=%s' % (rspec.LABEL_ENGINE,
                                               engine.instance)})}
    assert containers_after <= containers_before


# -- update and composition -------------------------------------------------

def test_update_changing_a_container_replaces_the_capsule(
        heat, engine, docker_client):
    identity, stack = create_and_wait(heat, 'update', SLEEPER)
    assert_complete(stack, 'CREATE')
    old_uuid = physical_id(heat, identity, 'capsule')
    old_containers, _ = docker_objects(docker_client, engine, old_uuid)
    old_app = by_role(old_containers)['app'][0]
    assert 'COLOUR=blue' in old_app.attrs['Config']['Env']

    heat.update_stack(identity, SLEEPER, {'colour': 'green'})
    stack = heat.wait(identity, 'UPDATE')
    assert_complete(stack, 'UPDATE')

    new_uuid = physical_id(heat, identity, 'capsule')
    assert new_uuid != old_uuid
    assert engine_capsule(engine, new_uuid)['status'] == 'Running'
    new_containers, _ = docker_objects(docker_client, engine, new_uuid)
    new_app = by_role(new_containers)['app'][0]
    assert new_app.status == 'running'
    assert 'COLOUR=green' in new_app.attrs['Config']['Env']
    # The replaced capsule is deleted, with its Docker objects.
    engine_support.wait_for(
        lambda: engine_get(engine, old_uuid)[0] == 404, timeout=30,
        what='old capsule gone')
    assert_gone(engine, docker_client, old_uuid)

    delete_and_wait(heat, identity)
    assert_gone(engine, docker_client, new_uuid)


def test_second_capsule_gets_the_first_ones_address(heat, engine,
                                                    docker_client):
    identity, stack = create_and_wait(heat, 'two-capsules', TWO_CAPSULES)
    assert_complete(stack, 'CREATE')
    server_uuid = physical_id(heat, identity, 'server')
    client_uuid = physical_id(heat, identity, 'client')
    server = engine_capsule(engine, server_uuid)
    # Both on the network of the stack's project.
    (network_id,) = server['addresses']
    assert list(engine_capsule(engine, client_uuid)['addresses']) == [
        network_id]
    server_addr = server['addresses'][network_id][0]['addr']
    assert heat.outputs(identity)['server_addresses'] == server[
        'addresses']

    # The server's address is its sandbox's address in Docker ...
    containers, _ = docker_objects(docker_client, engine, server_uuid)
    sandbox = by_role(containers)['sandbox'][0]
    networks = sandbox.attrs['NetworkSettings']['Networks']
    assert [n['IPAddress'] for n in networks.values()] == [server_addr]
    # ... and the client container got it in its environment.
    containers, _ = docker_objects(docker_client, engine, client_uuid)
    client = by_role(containers)['app'][0]
    assert 'SERVER_ADDR=%s' % server_addr in client.attrs['Config']['Env']
    assert client.exec_run(['sh', '-c', 'echo $SERVER_ADDR']).output == (
        server_addr + '\n').encode()

    delete_and_wait(heat, identity)
    assert_gone(engine, docker_client, server_uuid)
    assert_gone(engine, docker_client, client_uuid)
