"""Healthchecks from template to Docker and from Docker to the API view."""

import types

from heat_capsule.engine import records
from heat_capsule.engine.runtime.docker import config as docker_config
from heat_capsule.engine.runtime.docker import state as docker_state
from heat_capsule.engine.runtime import spec as rspec
from heat_capsule.engine.runtime import status as status_rules
from heat_capsule.engine.views import capsule as views


def test_records_fill_in_the_defaults():
    assert records.healthcheck({'healthcheck': {'cmd': 'true',
                                                'retries': 9}}) == {
        'cmd': 'true', 'interval': 10, 'timeout': 5, 'retries': 9,
        'start_period': 0}
    assert records.healthcheck({'image': 'x'}) is None


def test_docker_gets_a_shell_test_and_nanoseconds():
    check = rspec.Healthcheck(cmd='test -f /ready', interval=2, timeout=1,
                              retries=4, start_period=3)
    assert docker_config.healthcheck(check) == {
        'test': ['CMD-SHELL', 'test -f /ready'],
        'interval': 2000000000, 'timeout': 1000000000, 'retries': 4,
        'start_period': 3000000000}
    assert docker_config.healthcheck(None) is None


def _state(status='running', health=None, log=None):
    state = {'Status': status, 'StartedAt': '2026-01-01T00:00:00Z'}
    if health:
        state['Health'] = {'Status': health, 'Log': log or []}
    return state


def test_health_of_a_passing_check_has_no_output():
    log = [{'ExitCode': 0, 'Output': 'fine\n'}]
    assert docker_state.health_of(_state(health='healthy', log=log)) == \
        ('healthy', None)


def test_health_keeps_the_output_of_a_failed_probe():
    log = [{'ExitCode': 0, 'Output': 'ok'},
           {'ExitCode': 1, 'Output': 'connection refused\n'}]
    assert docker_state.health_of(_state(health='unhealthy', log=log)) == \
        ('unhealthy', 'connection refused')


def test_a_silent_failed_probe_says_so():
    log = [{'ExitCode': 7, 'Output': ''}]
    status, output = docker_state.health_of(
        _state(health='starting', log=log))
    assert status == 'starting' and 'code 7' in output


def test_a_stopped_container_has_no_health():
    assert docker_state.health_of(_state('exited', health='unhealthy')) == \
        (None, None)
    assert docker_state.health_of(_state()) == (None, None)


def test_health_is_read_from_docker_ps_status_text():
    parse = docker_state.health_from_status
    assert parse('Up 3 seconds (healthy)') == 'healthy'
    assert parse('Up 3 seconds (unhealthy)') == 'unhealthy'
    assert parse('Up 1 second (health: starting)') == 'starting'
    assert parse('Up 3 seconds') is None
    assert parse(None) is None


def test_status_detail_shows_health_as_docker_ps_does():
    detail = docker_state.status_detail(_state(health='starting'))
    assert detail.startswith('Up ') and detail.endswith('(health: starting)')
    assert docker_state.status_detail(
        _state(health='healthy')).endswith('(healthy)')


def _row(**fields):
    values = dict(uuid='u', name='web', role='app', image='busybox',
                  command=[], status='Running', status_reason=None,
                  status_detail=None, exit_code=None, cpu=None,
                  memory=None, environment={},
                  workdir=None, ports=[], interactive=False, tty=False,
                  healthcheck=None, health_status=None, health_output=None,
                  started_at=None, finished_at=None, restart_count=None,
                  oom_killed=None)
    values.update(fields)
    return types.SimpleNamespace(**values)


CAPSULE = types.SimpleNamespace(restart_policy='always', hostname='h',
                                user_id='u', project_id='p')


def test_the_view_is_zuns_empty_dict_without_a_check():
    assert views.container(_row(), CAPSULE)['healthcheck'] == {}


def test_the_view_reports_configuration_status_and_output():
    check = {'cmd': 'false', 'interval': 1, 'timeout': 1, 'retries': 1,
             'start_period': 0}
    view = views.container(_row(healthcheck=check, health_status='unhealthy',
                                health_output='nope'), CAPSULE)
    assert view['healthcheck'] == dict(check, status='unhealthy',
                                       output='nope')


def _container_state(health=None, output=None):
    return rspec.ContainerState(docker_id='d', role='app',
                                container_uuid=None, status='Running',
                                health=health, health_output=output)


def test_an_unhealthy_container_is_named_in_the_capsule_reason():
    rows = {'1': types.SimpleNamespace(uuid='1', name='web', role='app'),
            '2': types.SimpleNamespace(uuid='2', name='db', role='app')}
    observed = {'sandbox': _container_state(),
                '1': _container_state('unhealthy', 'HTTP 503'),
                '2': _container_state('healthy')}
    assert status_rules.derive_status(None, rows, observed) == (
        'Running', 'Container web is unhealthy: HTTP 503')
    observed['1'] = _container_state('starting', 'refused')
    assert status_rules.derive_status(None, rows, observed) == (
        'Running', None)


def test_a_health_change_is_written():
    row = _row(health_status='starting')
    values = status_rules.container_values(_container_state('healthy'), row)
    assert status_rules.changed(row, values)
