"""What Heat reports matches what happened: jobs, crash loops, OOM kills.

Heat's real engine (tests.support.heat_rig), a heat-capsule-engine process
and real Docker, one stack per outcome of issue 13:

=====================================  ==================================
case                                   Heat outcome
=====================================  ==================================
job, restart_policy Never, exit 0      CREATE_COMPLETE, exit_codes 0
job, restart_policy OnFailure, exit 0  CREATE_COMPLETE
exit 1 under Always (crash loop)       CREATE_FAILED: code 1, restarts,
                                       last log lines
exit 0 under Always                    CREATE_FAILED: code 0, restarts
OOM kill in an init container          CREATE_FAILED: memory limit named
OOM kill in an app container           CREATE_FAILED: memory limit named
dies 0.5 s after its start             CREATE_FAILED (Never and Always)
created_when healthy, a sidecar exits  CREATE_FAILED
stack check, then a crash loop         CHECK_COMPLETE, then CHECK_FAILED
update replacing with a crash loop     UPDATE_FAILED; with a job:
                                       UPDATE_COMPLETE
=====================================  ==================================

Memory hogs are bounded: a 16 MiB limit, busybox ``dd`` under ``timeout``.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig  # noqa: F401

import pytest

from tests.functional import test_heat_capsule as heat_capsule
from tests.support import engine as engine_support

ONE = '''
heat_template_version: 2021-04-16
parameters:
  script: {type: string}
  policy: {type: string, default: Always}
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      restart_policy: {get_param: policy}
      containers:
        - name: app
          image: busybox
          command: [sh, -c, {get_param: script}]
          memory: 16
outputs:
  status: {value: {get_attr: [capsule, status]}}
  exit_codes: {value: {get_attr: [capsule, exit_codes]}}
'''

# 2 s before the allocation: see test_capsule_status.OOM_COMMAND (Docker
# misses an OOM kill in a container's first instants).
HOG = 'echo allocating 100 MB; sleep 2; exec timeout 30 dd if=/dev/zero ' \
    'of=/dev/null bs=100M count=1'

INIT_HOG = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      restart_policy: Never
      init_containers:
        - name: hog
          image: busybox
          command: [sh, -c, "%s"]
          memory: 16
      containers:
        - name: app
          image: busybox
          command: [sleep, "3600"]
''' % HOG

HEALTHY_WITH_FAILING_SIDECAR = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      created_when: healthy
      restart_policy: Never
      containers:
        - name: web
          image: busybox
          command: [sleep, "3600"]
          healthcheck: {cmd: "true", interval: 1}
        - name: side
          image: busybox
          command: [sh, -c, "echo cannot reach the database >&2; exit 2"]
'''

# Runs until its sleep is killed, then exits 1; every later start exits 1
# at once (the marker file survives in the container's filesystem).
CRASHES_LATER = ('[ -e /crashed ] && { echo crashing again; exit 1; }; '
                 'touch /crashed; sleep 3600; echo the worker died; exit 1')
SLEEPS = 'exec sleep 3600'


def _create(heat, name, template, parameters=None):
    identity = heat.create_stack(name, template, parameters=parameters)
    return identity, heat.wait(identity, 'CREATE', timeout=120)


def _failed(stack, action='CREATE'):
    assert (stack['stack_action'], stack['stack_status']) == (
        action, 'FAILED'), stack['stack_status_reason']
    return stack['stack_status_reason']


def _delete(heat, identity):
    heat.delete_stack(identity)
    heat.wait_deleted(identity, timeout=120)


@pytest.mark.parametrize('policy', ['Never', 'OnFailure'])
def test_a_job_completes_and_shows_its_exit_codes(heat, engine, policy):
    """It exits before it could count as started: complete on its exit."""
    identity, stack = _create(heat, 'job-' + policy.lower(), ONE, {
        'script': 'echo working; sleep 0.2; echo done', 'policy': policy})
    try:
        heat_capsule.assert_complete(stack, 'CREATE')
        uuid = heat_capsule.physical_id(heat, identity, 'capsule')
        body = heat_capsule.engine_capsule(engine, uuid)
        assert body['status'] == 'Stopped', body
        assert heat.outputs(identity)['exit_codes'] == {'app': 0}
    finally:
        _delete(heat, identity)


def test_the_job_template_reports_the_result(heat):
    identity, stack = _create(heat, 'job-template',
                              heat.read_template('job.yaml'),
                              {'count': 10})
    try:
        heat_capsule.assert_complete(stack, 'CREATE')
        outputs = heat.outputs(identity)
        assert outputs['exit_codes'] == {'prepare': 0, 'sum': 0}
        assert outputs['result'] == 'total=55\n'
        assert outputs['status'] in ('Running', 'Stopped')
    finally:
        _delete(heat, identity)


@pytest.mark.parametrize('code', [1, 0])
def test_an_exit_under_always_fails_naming_code_and_restarts(heat, code):
    identity, stack = _create(heat, 'loop-%d' % code, ONE, {
        'script': 'echo config file missing >&2; exit %d' % code})
    try:
        reason = _failed(stack)
        assert 'container app exited with code %d' % code in reason
        assert 'restart' in reason and '(Always)' in reason
        assert 'last log lines of app:\nconfig file missing' in reason
    finally:
        _delete(heat, identity)


def test_an_oom_kill_in_an_app_container_is_named(heat, heat_client_option):
    # The hog allocates 2 s into its run (see HOG): Heat must not call the
    # capsule started (1 s of a steady run by default) before that.
    heat_client_option('stable_seconds', 10)
    identity, stack = _create(heat, 'oom-app', ONE,
                              {'script': HOG, 'policy': 'Never'})
    try:
        reason = _failed(stack)
        assert ('container app was killed for exceeding its memory limit '
                'of 16 MiB (exit code 137)') in reason
        assert 'allocating 100 MB' in reason
    finally:
        _delete(heat, identity)


def test_an_oom_kill_in_an_init_container_is_named(heat):
    identity, stack = _create(heat, 'oom-init', INIT_HOG)
    try:
        reason = _failed(stack)
        assert ('Init container hog was killed for exceeding its memory '
                'limit of 16 MiB (exit code 137)') in reason
        assert 'allocating 100 MB' in reason
    finally:
        _delete(heat, identity)


@pytest.mark.parametrize('policy', ['Never', 'Always'])
def test_a_container_dying_half_a_second_after_start_fails(heat, policy):
    """A lucky reading while it still runs must not complete the stack."""
    identity, stack = _create(heat, 'dies-' + policy.lower(), ONE, {
        'script': 'echo up; sleep 0.5; echo lost the lock; exit 1',
        'policy': policy})
    try:
        reason = _failed(stack)
        assert 'container app exited with code 1' in reason
        assert 'lost the lock' in reason
    finally:
        _delete(heat, identity)


def test_created_when_healthy_fails_on_an_exiting_container(heat):
    identity, stack = _create(heat, 'healthy-side',
                              HEALTHY_WITH_FAILING_SIDECAR)
    try:
        reason = _failed(stack)
        assert 'container side exited with code 2' in reason
        assert 'cannot reach the database' in reason
    finally:
        _delete(heat, identity)


def test_stack_check_passes_then_fails_on_a_crash_loop(heat, engine,
                                                       docker_client):
    identity, stack = _create(heat, 'check', ONE, {'script': CRASHES_LATER})
    try:
        heat_capsule.assert_complete(stack, 'CREATE')
        heat.client.stack_check(heat.context(), identity)
        heat_capsule.assert_complete(heat.wait(identity, 'CHECK'), 'CHECK')

        uuid = heat_capsule.physical_id(heat, identity, 'capsule')
        container = docker_client.containers.get('hc-%s-app' % uuid)
        container.exec_run(['sh', '-c', 'kill $(pidof sleep)'])
        # In a crash loop: restarted, and crashed again (its last log
        # lines, which the check reports, say so).
        engine_support.wait_for(
            lambda: docker_client.containers.get(container.id).attrs[
                'RestartCount'] >= 1 and b'crashing again' in
            container.logs(tail=5), timeout=30, what='a second crash')
        heat.client.stack_check(heat.context(), identity)
        reason = _failed(heat.wait(identity, 'CHECK'), 'CHECK')
        assert 'container app exited with code 1' in reason
        assert 'crashing again' in reason
    finally:
        _delete(heat, identity)


def test_an_update_replacing_the_capsule_follows_the_same_rule(heat):
    identity, stack = _create(heat, 'update-rule', ONE, {'script': SLEEPS})
    try:
        heat_capsule.assert_complete(stack, 'CREATE')
        heat.update_stack(identity, ONE, {
            'script': 'echo bad flag >&2; exit 3'})
        reason = _failed(heat.wait(identity, 'UPDATE', timeout=120),
                         'UPDATE')
        assert 'container app exited with code 3' in reason
        assert 'bad flag' in reason

        heat.update_stack(identity, ONE, {'script': 'echo migrated',
                                          'policy': 'OnFailure'})
        heat_capsule.assert_complete(
            heat.wait(identity, 'UPDATE', timeout=120), 'UPDATE')
        assert heat.outputs(identity)['exit_codes'] == {'app': 0}
    finally:
        _delete(heat, identity)
