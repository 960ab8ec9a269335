"""heat_capsule.engine.runtime.status: the engine's status rules.

status_detail is a function of the stored facts and of the time it is read
(the tests move the time, never sleep); the capsule status is always one of
the statuses the README lists; an OOM kill is named with the limit.
"""

import datetime
import types

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from heat_capsule.engine.runtime import spec as rspec
from heat_capsule.engine.runtime import status

T0 = datetime.datetime(2026, 11, 30, 10, 0, 0)


def row(**fields):
    values = dict(status='Running', started_at=T0, finished_at=None,
                  exit_code=None, health_status=None,
                  status_detail='stored text')
    values.update(fields)
    return types.SimpleNamespace(**values)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def test_status_detail_reads_like_docker_ps_at_any_moment():
    assert status.status_detail(row(), at(0.4)) == 'Up Less than a second'
    assert status.status_detail(row(), at(61)) == 'Up About a minute'
    assert status.status_detail(row(), at(180)) == 'Up 3 minutes'
    assert status.status_detail(row(health_status='healthy'), at(8)) == \
        'Up 8 seconds (healthy)'
    assert status.status_detail(row(health_status='starting'), at(1)) == \
        'Up 1 second (health: starting)'
    assert status.status_detail(row(status='Paused'), at(7200)) == \
        'Up 2 hours (Paused)'
    stopped = row(status='Stopped', finished_at=at(10), exit_code=0)
    assert status.status_detail(stopped, at(310)) == \
        'Exited (0) 5 minutes ago'
    restarting = row(status='Restarting', finished_at=at(10), exit_code=1)
    assert status.status_detail(restarting, at(12)) == \
        'Restarting (1) 2 seconds ago'
    # Without timestamps (a row from before they were recorded): stored.
    assert status.status_detail(row(started_at=None), at(5)) == 'stored text'
    assert status.status_detail(row(status='Created'), at(5)) == \
        'stored text'


@given(st.floats(0, 10 ** 8))
def test_status_detail_and_uptime_follow_the_clock(seconds):
    running = row()
    now = at(seconds)
    assert status.status_detail(running, now) == \
        'Up ' + status.human_duration(seconds)
    assert abs(status.uptime(running, now) - seconds) < 0.001
    assert status.uptime(row(status='Stopped'), now) is None


def test_an_oom_kill_is_named_with_the_memory_limit():
    state = rspec.ContainerState(docker_id='d', role='app',
                                 container_uuid='c', status='Stopped',
                                 exit_code=137, oom_killed=True)
    assert status.container_reason('app', state, 16) == (
        'container app was killed for exceeding its memory limit of 16 MiB '
        '(exit code 137)')
    assert status.container_reason('app', state, None) == (
        'container app was killed for exceeding the memory available to it '
        '(exit code 137)')
    plain = rspec.ContainerState(docker_id='d', role='app',
                                 container_uuid='c', status='Stopped',
                                 exit_code=1, error='boom')
    assert status.container_reason('app', plain, 16) == 'boom'


DOCKER_STATUSES = ('Created', 'Running', 'Restarting', 'Paused', 'Stopped',
                   'Dead', 'Deleting', 'Unknown')


def _state(status_, exit_code, oom):
    return rspec.ContainerState(docker_id='d', role='app',
                                container_uuid='x', status=status_,
                                exit_code=exit_code, oom_killed=oom)


@settings(max_examples=1000)
@given(st.lists(st.tuples(st.sampled_from(DOCKER_STATUSES + (None,)),
                          st.one_of(st.none(), st.integers(0, 255)),
                          st.booleans()), min_size=1, max_size=4),
       st.sampled_from(DOCKER_STATUSES + (None,)))
def test_the_capsule_status_is_always_one_the_readme_lists(apps, sandbox):
    rows, observed = {}, {}
    for index, (status_, code, oom) in enumerate(apps):
        uuid = 'c%d' % index
        rows[uuid] = types.SimpleNamespace(uuid=uuid, name='app%d' % index,
                                           role='app', memory=16)
        if status_ is not None:
            observed[uuid] = _state(status_, code, oom)
    if sandbox is not None:
        observed['sandbox'] = _state(sandbox, None, False)
    result, reason = status.derive_status(None, rows, observed)
    assert result in status.CAPSULE_STATUSES
    assert result not in ('Creating', 'Deleting')
    states = [observed.get(uuid) for uuid in rows]
    if result == 'Stopped':
        assert all(s.status == 'Stopped' and s.exit_code in (0, None)
                   for s in states)
    if result == 'Running':
        assert sandbox == 'Running'
    if result != 'Error':
        assert all(s is not None and s.status != 'Dead' for s in states)
    for name, s in zip([r.name for r in rows.values()], states):
        if result in ('Stopped', 'Error') and s is not None and \
                s.status == 'Stopped' and s.oom_killed and \
                sandbox == 'Running' and all(
                    x is not None and x.status in ('Stopped', 'Dead')
                    for x in states):
            assert '%s was killed for exceeding its memory limit of 16 ' \
                'MiB' % name in reason


@given(st.sampled_from(DOCKER_STATUSES + (None,)), st.text(max_size=20),
       st.text(min_size=1, max_size=80))
def test_a_failed_create_never_leaves_a_container_creating(status_, error,
                                                           reason):
    state = None if status_ is None else rspec.ContainerState(
        docker_id='d', role='app', container_uuid='c', status=status_,
        error=error or None)
    values = status.failed_create_values(state, reason)
    if values is None:
        assert state is not None and state.status != 'Created'
    else:
        assert values['status'] == 'Error'
        assert values['status_reason']
