"""heat_capsule.heat.verdict: what OS::Zun::Capsule does with a reading.

Drawn readings (hypothesis) of every status the engine can show, with
containers in every state, check the rule as a whole: a defined outcome for
each; completion only for stable running or finished-job containers; a
failure for every non-zero exit, restart, OOM kill, whatever the timing.
"""

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from heat_capsule.engine.runtime import status as engine_status
from heat_capsule.heat import verdict

POLICIES = ('Always', 'OnFailure', 'Never')
CONTAINER_STATUSES = ('Creating', 'Created', 'Running', 'Restarting',
                      'Stopped', 'Dead', 'Paused', 'Error', 'Deleted',
                      'Unknown')


def container(name, status='Running', uptime=30.0, restart_count=0,
              exit_code=None, oom_killed=False, **extra):
    return dict(name=name, uuid='u-' + name, status=status, uptime=uptime,
                restart_count=restart_count, exit_code=exit_code,
                oom_killed=oom_killed, **extra)


def capsule(*containers, status='Running', reason=None):
    return {'status': status, 'status_reason': reason,
            'containers': list(containers)}


containers_st = st.lists(st.builds(
    container,
    name=st.sampled_from(['a', 'b', 'c', 'd']),
    status=st.sampled_from(CONTAINER_STATUSES),
    uptime=st.one_of(st.none(), st.floats(0, 10000)),
    restart_count=st.integers(0, 5),
    exit_code=st.one_of(st.none(), st.integers(0, 255)),
    oom_killed=st.booleans()), min_size=1, max_size=4,
    unique_by=lambda c: c['name'])


@settings(max_examples=1000)
@given(status=st.sampled_from(engine_status.CAPSULE_STATUSES + ('Unknown',)),
       containers=containers_st, policy=st.sampled_from(POLICIES),
       stable=st.floats(0, 5))
def test_every_reading_has_a_defined_outcome(status, containers, policy,
                                             stable):
    found = verdict.judge(capsule(*containers, status=status,
                                  reason='the service says so'),
                          restart_policy=policy, stable_seconds=stable)
    assert found.outcome in verdict.OUTCOMES
    assert 'Unknown status' not in found.reason
    if found.outcome == verdict.FAIL:
        assert found.reason
    if status in ('Creating', 'Created'):
        assert found.outcome == verdict.WAIT
    if status in ('Error', 'Deleting', 'Paused', 'Restarting', 'Unknown'):
        assert found.outcome == verdict.FAIL
    if found.outcome == verdict.COMPLETE:
        for c in containers:
            stable_run = (c['status'] == 'Running' and not c['restart_count']
                          and (c['uptime'] or 0) >= stable)
            finished_job = (c['status'] == 'Stopped' and c['exit_code'] == 0
                            and not c['restart_count']
                            and policy in ('Never', 'OnFailure'))
            assert stable_run or finished_job, c


@given(containers=containers_st, policy=st.sampled_from(POLICIES),
       status=st.sampled_from(['Running', 'Stopped']))
def test_a_restart_or_a_failed_exit_always_fails(containers, policy, status):
    bad = container('bad', status='Stopped', exit_code=1)
    found = verdict.judge(capsule(bad, *containers, status=status),
                          restart_policy=policy)
    assert found.outcome == verdict.FAIL
    assert 'container bad exited with code 1' in found.reason
    assert 'bad' in found.failing
    again = container('bad', status='Running', uptime=500.0,
                      restart_count=2, exit_code=3)
    found = verdict.judge(capsule(again, *containers, status=status),
                          restart_policy=policy)
    assert found.outcome == verdict.FAIL
    assert ('container bad exited with code 3 and was restarted 2 times by '
            'its restart policy (%s)' % policy) in found.reason


@given(uptime=st.floats(0, 0.999), stable=st.floats(1, 5))
def test_a_young_container_waits_for_exactly_what_is_left(uptime, stable):
    found = verdict.judge(capsule(container('app', uptime=uptime)),
                          stable_seconds=stable)
    assert found.outcome == verdict.WAIT
    assert abs(found.retry_in - (stable - uptime)) < 1e-9


def test_a_job_completes_under_never_and_onfailure_only():
    done = container('job', status='Stopped', exit_code=0, uptime=None)
    for policy in ('Never', 'OnFailure'):
        assert verdict.judge(capsule(done, status='Stopped'),
                             restart_policy=policy).outcome == \
            verdict.COMPLETE
    found = verdict.judge(capsule(done, status='Stopped'),
                          restart_policy='Always')
    assert found.outcome == verdict.FAIL
    assert 'exited with code 0 (restart policy Always restarts it)' in \
        found.reason


def test_an_oom_kill_is_named_with_the_limit():
    hog = container('hog', status='Stopped', exit_code=137, oom_killed=True,
                    memory='16')
    found = verdict.judge(capsule(hog, status='Error'),
                          restart_policy='Never')
    assert found.reason == ('container hog was killed for exceeding its '
                            'memory limit of 16 MiB (exit code 137)')


def test_restarting_names_the_exit_and_the_count():
    loop = container('app', status='Restarting', exit_code=1,
                     restart_count=4, uptime=None)
    found = verdict.judge(capsule(loop, status='Restarting'))
    assert found.reason == ('container app exited with code 1 and is being '
                            'restarted by its restart policy (Always), 4 '
                            'restarts so far')


def test_a_check_counts_only_new_restarts():
    old = container('app', restart_count=3, uptime=3600.0)
    assert verdict.judge(capsule(old), baseline={'app': 3}).outcome == \
        verdict.COMPLETE
    assert verdict.judge(capsule(old)).outcome == verdict.FAIL
    newer = dict(old, restart_count=4, uptime=0.2)
    assert verdict.judge(capsule(newer), baseline={'app': 3}).outcome == \
        verdict.FAIL


def test_without_uptime_heat_times_the_run_itself():
    zun = container('app', uptime=None)
    assert verdict.judge(capsule(zun), ages={'app': 0.2}).outcome == \
        verdict.WAIT
    assert verdict.judge(capsule(zun), ages={'app': 1.2}).outcome == \
        verdict.COMPLETE


def test_healthy_waits_for_the_check_and_fails_when_unhealthy():
    check = {'status': 'starting', 'output': 'refused'}
    web = container('web', healthcheck=check)
    found = verdict.judge(capsule(web), healthchecked={'web'})
    assert (found.outcome, found.reason) == (
        verdict.WAIT, 'not ready yet: web (starting: refused)')
    web['healthcheck'] = {'status': 'unhealthy', 'output': 'HTTP 503'}
    found = verdict.judge(capsule(web), healthchecked={'web'})
    assert (found.outcome, found.reason) == (
        verdict.FAIL, 'container web is unhealthy: HTTP 503')
    done = container('web', status='Stopped', exit_code=0)
    found = verdict.judge(capsule(done, status='Stopped'),
                          restart_policy='Never', healthchecked={'web'})
    assert 'before its healthcheck reported healthy' in found.reason


def test_a_failed_create_says_the_service_reason():
    never = container('app', status='Error', uptime=None,
                      status_reason='Not started: image missing.')
    found = verdict.judge(capsule(never, status='Error',
                                  reason='image busybox:9 is missing'))
    assert found == verdict.Verdict(verdict.FAIL,
                                    'image busybox:9 is missing')


def test_exit_codes_come_from_the_field_or_zuns_status_detail():
    assert verdict.exit_codes({
        'init_containers': [{'name': 'init', 'exit_code': 0}],
        'containers': [{'name': 'zun', 'status_detail':
                        'Exited (3) 2 minutes ago'},
                       {'name': 'up', 'status_detail': 'Up 3 seconds'}]}) \
        == {'init': 0, 'zun': 3, 'up': None}
