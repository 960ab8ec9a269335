"""docker_state: a start Docker acknowledged, and addresses, read without a
second inspect (runtime/docker/state.py)."""

import datetime
import uuid

from hypothesis import given
from hypothesis import strategies as st

from heat_capsule.engine.runtime.docker import state as docker_state
from heat_capsule.engine.runtime import spec as rspec

HEALTHCHECK = rspec.Healthcheck(cmd='true', interval=1, timeout=1, retries=1,
                                start_period=0)
# What ``docker inspect`` compares on, besides the clock.
COMPARED = ('status', 'role', 'container_uuid', 'exit_code', 'status_detail',
            'error', 'restart_count', 'finished_at', 'oom_killed', 'health',
            'health_output')


def inspect_right_after_start(container, docker_id, started):
    """Docker's inspect answer for `container` a moment after its start."""
    state = {'Status': 'running', 'Running': True, 'ExitCode': 0,
             'Error': '', 'OOMKilled': False,
             'StartedAt': started.strftime('%Y-%m-%dT%H:%M:%S.%fZ'),
             'FinishedAt': docker_state.NEVER}
    if container.healthcheck:
        state['Health'] = {'Status': 'starting', 'FailingStreak': 0,
                           'Log': []}
    return {'Id': docker_id, 'RestartCount': 0, 'State': state,
            'Config': {'Labels': {rspec.LABEL_ROLE: container.role,
                                  rspec.LABEL_CONTAINER: container.uuid}}}


@given(role=st.sampled_from([rspec.ROLE_APP, rspec.ROLE_INIT]),
       checked=st.booleans(), name=st.text(min_size=1, max_size=20))
def test_just_started_is_what_inspect_shows_then(role, checked, name):
    container = rspec.ContainerSpec(
        uuid=str(uuid.uuid4()), name=name, image='busybox', role=role,
        healthcheck=HEALTHCHECK if checked else None)
    docker_id = uuid.uuid4().hex * 2
    now = datetime.datetime.now(datetime.timezone.utc)
    made = docker_state.just_started(container, docker_id, now)
    read = docker_state.from_inspect(
        inspect_right_after_start(container, docker_id, now))
    assert {k: getattr(made, k) for k in COMPARED} == \
        {k: getattr(read, k) for k in COMPARED}
    assert made.docker_id == read.docker_id == docker_id
    assert made.started_at == read.started_at == now.replace(tzinfo=None)
    assert made.addresses is None


def sandbox_inspect(networks):
    return {'Id': 'f' * 64, 'RestartCount': 0,
            'State': {'Status': 'running', 'StartedAt': docker_state.NEVER},
            'Config': {'Labels': {rspec.LABEL_ROLE: rspec.ROLE_SANDBOX}},
            'NetworkSettings': {'Networks': networks}}


def test_a_sandbox_inspect_carries_its_addresses():
    networks = {'t1-demo': {
        'NetworkID': 'a' * 64, 'EndpointID': 'e' * 64,
        'IPAddress': '10.230.0.5', 'IPPrefixLen': 24,
        'GlobalIPv6Address': 'fd00::5', 'GlobalIPv6PrefixLen': 64}}
    state = docker_state.from_inspect(sandbox_inspect(networks))
    found = docker_state.addresses_of(sandbox_inspect(networks))
    assert state.addresses == tuple(found)
    assert [(a.addr, a.version, a.network_id, a.port) for a in found] == [
        ('10.230.0.5', 4, 'a' * 64, 'e' * 64),
        ('fd00::5', 6, 'a' * 64, 'e' * 64)]
    assert found[0].subnet_id != found[1].subnet_id
    assert docker_state.addresses_of(None) == []
    assert docker_state.from_inspect(sandbox_inspect({})).addresses == ()
