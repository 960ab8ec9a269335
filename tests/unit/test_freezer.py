"""runtime/freezer.py: which containers a pause freezes, which an unpause
thaws, and when a paused capsule shows Paused, for every mix of app
container statuses (hypothesis)."""

import types

from hypothesis import given
from hypothesis import strategies as st

from heat_capsule.engine.runtime import freezer
from heat_capsule.engine.runtime import spec as rspec

STATUSES = ['Running', 'Paused', 'Stopped', 'Dead', 'Restarting', 'Created',
            'Deleting', None]     # None: removed from Docker
BASE = ('Base', 'what derive_status said')


class RecordingDriver:
    def __init__(self):
        self.calls = []

    def set_paused(self, capsule_uuid, docker_id, paused):
        self.calls.append((docker_id, paused))


def capsule_and_observed(statuses, sandbox='Running'):
    rows = [types.SimpleNamespace(uuid='u%d' % i, name='c%d' % i, role='app')
            for i in range(len(statuses))]
    rows.append(types.SimpleNamespace(uuid='init', name='init', role='init'))
    observed = {'init': rspec.ContainerState('d-init', 'init', 'init',
                                             'Stopped', exit_code=0)}
    for row, status in zip(rows, statuses):
        if status is not None:
            observed[row.uuid] = rspec.ContainerState(
                'd-' + row.uuid, 'app', row.uuid, status,
                exit_code=0 if status in ('Stopped', 'Dead') else None)
    if sandbox is not None:
        observed['sandbox'] = rspec.ContainerState('d-sb', 'sandbox', None,
                                                   sandbox)
    return types.SimpleNamespace(uuid='cap', containers=rows), observed


@given(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=5),
       st.sampled_from([(freezer.freeze, 'Running', True),
                        (freezer.thaw, 'Paused', False)]))
def test_freeze_and_thaw_touch_exactly_the_app_containers_concerned(
        statuses, case):
    """freeze pauses the Running app containers, thaw unpauses the
    Paused ones; nothing else (init containers, the sandbox)."""
    function, concerned, paused = case
    capsule, observed = capsule_and_observed(statuses)
    driver = RecordingDriver()
    changed = function(driver, capsule, observed)
    wanted = ['d-u%d' % i for i, s in enumerate(statuses) if s == concerned]
    assert driver.calls == [(d, paused) for d in wanted]
    assert changed == bool(wanted)


@given(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=5),
       st.sampled_from(['Running', 'Stopped', 'Paused', None]))
def test_paused_only_when_every_app_container_is_frozen_or_had_stopped(
        statuses, sandbox):
    capsule, observed = capsule_and_observed(statuses, sandbox)
    status, reason = freezer.paused_status(capsule, observed, BASE)
    expected = (sandbox == 'Running' and None not in statuses
                and 'Paused' in statuses
                and set(statuses) <= {'Paused', 'Stopped', 'Dead'})
    if expected:
        assert status == 'Paused'
        stopped = [i for i, s in enumerate(statuses) if s != 'Paused']
        if stopped:
            for i in stopped:
                assert 'c%d exited with code 0' % i in reason
        else:
            assert reason is None
    else:
        assert (status, reason) == BASE
