"""OS::Zun::Capsule against a service without the engine's extensions.

What is real: Heat's engine (tests.support.heat_rig: EngineService,
convergence, the resource loaded through plugin_dirs), the ``zun_capsule``
client plugin and python-zunclient over HTTP, and a heat-capsule-engine
process on 127.0.0.1 running the capsules on the real Docker engine. What
makes it look like a real Zun: ``[api] advertise_extensions = false``, so
its version document (GET /) lists no extensions, exactly like zun-api's
(which has no ``extensions`` key). Zun's other differences (renamed
containers, healthcheck refused with a 400) are covered by the unit tests
with Zun-shaped answers (tests/unit/heat/test_capsule_zun_compat.py); this
is not a contract test against zun-api itself (issue 20 item 4).
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig

import pytest
import requests

from tests.functional import test_heat_capsule as heat_capsule
from tests.support import engine as engine_support

PORTABLE = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      annotations: {replicas: 2, owner: team-a}
      containers:
        - name: side
          image: busybox
          command: [sh, -c, "echo side up; exec sleep 3600"]
        - name: web
          image: busybox
          command: [sh, -c, "echo web up; exec sleep 3600"]
          healthcheck:
            cmd: "true"
            interval: 1
outputs:
  containers: {value: {get_attr: [capsule, containers]}}
  annotations: {value: {get_attr: [capsule, annotations]}}
  logs: {value: {get_attr: [capsule, logs]}}
'''


@pytest.fixture(scope='module')
def engine():
    """An engine process that advertises no extensions, like zun-api."""
    engine_support.ensure_test_images()
    process = engine_support.EngineProcess(
        extra_conf='[api]\nadvertise_extensions = false\n').start()
    yield process
    process.stop()
    engine_support.remove_everything(process.driver())


@pytest.fixture(scope='module')
def heat(engine):
    rig = heat_rig.HeatRig(engine.url + '/v1').start()
    yield rig
    try:
        rig.delete_all()
    finally:
        rig.stop()


def test_the_version_document_lists_no_extensions(engine):
    current = requests.get(engine.url + '/', timeout=10).json()['versions'][0]
    assert current['status'] == 'CURRENT'
    assert current['extensions'] == []


def test_a_healthcheck_is_left_out_and_the_stack_completes(heat, engine,
                                                           docker_client):
    identity, stack = heat_capsule.create_and_wait(heat, 'portable',
                                                   PORTABLE)
    heat_capsule.assert_complete(stack, 'CREATE')
    uuid = heat_capsule.physical_id(heat, identity, 'capsule')
    served = heat_capsule.engine_capsule(engine, uuid)
    # Not sent: the engine would have stored and shown it.
    assert [c['healthcheck'] for c in served['containers']] == [{}, {}]
    # Sent as strings: the engine's schema takes nothing else.
    assert served['annotations'] == {'replicas': '2', 'owner': 'team-a'}

    outputs = heat.outputs(identity)
    assert [c['template_name'] for c in outputs['containers']] == [
        'side', 'web']
    assert outputs['annotations'] == {'replicas': '2', 'owner': 'team-a'}
    logs = engine_support.wait_for(
        lambda: (lambda o: o if o['web'] and o['side'] else None)(
            heat.outputs(identity)['logs']),
        timeout=30, what='both containers printed')
    assert logs == {'side': 'side up\n', 'web': 'web up\n'}
    heat_capsule.delete_and_wait(heat, identity)
    heat_capsule.assert_gone(engine, docker_client, uuid)


def test_created_when_healthy_fails_in_one_sentence(heat, engine):
    before = {c['uuid'] for c in heat_capsule.engine_capsules(engine)}
    identity, stack = heat_capsule.create_and_wait(
        heat, 'gated', heat.read_template('readiness.yaml'))
    assert (stack['stack_action'], stack['stack_status']) == (
        'CREATE', 'FAILED')
    reason = heat.resource(identity, 'web')['resource_status_reason']
    assert 'created_when "healthy" needs the heat-capsule engine' in reason
    assert len(reason) < 300, reason
    # Refused before the request: nothing was created.
    assert {c['uuid'] for c in heat_capsule.engine_capsules(engine)} == before
    heat_capsule.delete_and_wait(heat, identity)
