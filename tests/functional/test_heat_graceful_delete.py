"""OS::Zun::Capsule termination_grace_period through Heat's real engine.

The property reaches the engine (each container's Docker stop timeout),
a stack delete gives the programs their stop signal and the grace period
(read back from Docker's event log and from the kept volume), and the delete
completes once the stop sequence is over; a grace period the stack's
timeout cannot hold is refused before anything is created.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig  # noqa: F401

import time  # noqa: E402

import pytest  # noqa: E402

from tests.functional import test_graceful_delete as graceful  # noqa: E402
from tests.functional import test_heat_capsule as heat_tests  # noqa: E402

GRACE = 5

GRACEFUL = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      termination_grace_period: %(grace)d
      containers:
        - name: db
          image: busybox
          command: [sh, -c, '%(flush)s']
          volume_mounts: [{name: state, mount_path: /data}]
        - name: stubborn
          image: busybox
          command: [sleep, "3600"]
      volumes:
        - {name: state, size: 1, auto_remove: false}
''' % {'grace': GRACE, 'flush': graceful.FLUSH % {
    'what': 'flushed', 'file': 'db', 'signal': 'TERM'}}

TOO_LONG = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      termination_grace_period: 600
      containers:
        - image: busybox
'''


def test_stack_delete_stops_the_capsule_gracefully(heat, engine,
                                                   docker_client):
    identity, stack = heat_tests.create_and_wait(heat, 'graceful', GRACEFUL)
    heat_tests.assert_complete(stack, 'CREATE')
    capsule_uuid = heat_tests.physical_id(heat, identity, 'capsule')
    capsule = heat_tests.engine_capsule(engine, capsule_uuid)
    graceful.wait_ready(engine.url, {'containers': [
        c for c in capsule['containers'] if c['name'] == 'db']})
    kept = graceful.volume_id(engine.url, capsule_uuid)
    containers, _ = heat_tests.docker_objects(docker_client, engine,
                                              capsule_uuid)
    apps = heat_tests.by_role(containers)['app']
    assert [c.attrs['Config']['StopTimeout'] for c in apps] == [GRACE] * 2

    since = time.time()
    log = graceful.follow(docker_client, capsule_uuid)
    heat_tests.delete_and_wait(heat, identity)
    took = time.time() - since
    assert heat_tests.engine_get(engine, capsule_uuid)[0] == 404
    assert graceful.leftovers(docker_client, capsule_uuid) == []
    events = graceful.docker_events(log, capsule_uuid)
    term, kill = graceful.of(events, 'stubborn', 'kill')
    print('\nstack delete with termination_grace_period %d: %.2f s; '
          'stubborn SIGKILLed %.2f s after its SIGTERM'
          % (GRACE, took, kill[0] - term[0]))
    assert graceful.signals(events, 'db') == [graceful.SIGTERM]
    assert graceful.exit_codes(events, 'db') == ['0']
    assert graceful.signals(events, 'stubborn') == [graceful.SIGTERM,
                                                    graceful.SIGKILL]
    assert kill[0] - term[0] >= GRACE - 0.5
    graceful.assert_sandbox_last(events, ['db', 'stubborn'])
    assert graceful.read_kept_volume(engine.url, kept, 'db') == {
        'db': 'flushed'}


def test_a_grace_period_the_stack_timeout_cannot_hold_is_refused(heat,
                                                                 engine):
    before = {c['uuid'] for c in heat_tests.engine_capsules(engine)}
    with pytest.raises(Exception) as refused:
        heat.create_stack('too-long', TOO_LONG, timeout_mins=5)
    assert type(refused.value).__name__.startswith('StackValidationFailed')
    message = str(refused.value)
    assert 'termination_grace_period' in message
    assert "timeout of 300 s" in message
    assert {c['uuid'] for c in heat_tests.engine_capsules(engine)} == before


def test_the_property_is_documented_in_the_type_schema(heat):
    schema = heat.resource_schema('OS::Zun::Capsule')
    prop = schema['properties']['termination_grace_period']
    assert prop['type'] == 'integer'
    assert 'STOPSIGNAL' in prop['description']
    assert {'range': {'min': 0, 'max': 86400}} in [
        {k: v for k, v in c.items() if k == 'range'}
        for c in prop['constraints']]
