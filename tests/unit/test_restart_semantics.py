"""What runs again after a Docker (or sandbox) restart: the pure parts.

Each app container is treated as if it had exited on its own with the exit
code Docker recorded: Always -> started again; OnFailure -> started again
after a non-zero exit only; Never -> left stopped.
"""

import threading
import types

import pytest

from heat_capsule.engine import records
from heat_capsule.engine.runtime.docker import driver as docker_driver
from heat_capsule.engine.runtime.docker import membership
from heat_capsule.engine.runtime import reconciler
from heat_capsule.engine.runtime import spec as rspec
from heat_capsule.engine.runtime import status as status_rules


def state(status, exit_code=None, docker_id='d', uuid=None):
    return rspec.ContainerState(docker_id=docker_id, role='app',
                                container_uuid=uuid, status=status,
                                exit_code=exit_code)


# --- status.restart_wanted ---------------------------------------------------

@pytest.mark.parametrize('policy,code,wanted', [
    ('always', 137, True), ('always', 0, True), ('always', 143, True),
    ('on-failure', 137, True), ('on-failure', 1, True),
    ('on-failure', 0, False), ('OnFailure', 143, True),
    ('no', 137, False), ('no', 0, False), ('Never', 1, False),
    ('Always', 0, True), ('unless-stopped', 0, True),
    (None, 0, True),                  # Zun's default policy is Always
])
def test_a_stopped_container_follows_its_policy(policy, code, wanted):
    assert status_rules.restart_wanted(policy, state('Stopped', code)) is \
        wanted


@pytest.mark.parametrize('status', ['Running', 'Restarting', 'Created',
                                    'Paused', 'Dead', 'Deleting'])
def test_only_stopped_containers_are_concerned(status):
    assert status_rules.restart_wanted('always', state(status, 137)) is False


def test_a_missing_container_is_not_restarted():
    assert status_rules.restart_wanted('always', None) is False


# --- docker.membership.rejoins -----------------------------------------------

SANDBOX = {'Id': 'sandbox-id',
           'State': {'Status': 'running',
                     'StartedAt': '2026-01-01T10:00:05.000000000Z'}}


def app_info(status='exited', policy='always', exit_code=137,
             started='2026-01-01T09:00:00.000000000Z',
             network='container:sandbox-id', role='app'):
    return {'Id': 'app-id',
            'Config': {'Labels': {rspec.LABEL_ROLE: role,
                                  rspec.LABEL_CONTAINER: 'c1'}},
            'HostConfig': {'NetworkMode': network,
                           'RestartPolicy': {'Name': policy}},
            'State': {'Status': status, 'ExitCode': exit_code,
                      'StartedAt': started}}


@pytest.mark.parametrize('policy,code,rejoins', [
    ('always', 137, True), ('always', 0, True),
    ('on-failure', 137, True), ('on-failure', 143, True),
    ('on-failure', 0, False), ('no', 137, False), ('no', 0, False),
])
def test_an_app_stopped_with_its_sandbox_rejoins_by_policy(policy, code,
                                                           rejoins):
    assert membership.rejoins(app_info(policy=policy, exit_code=code),
                              SANDBOX) is rejoins


def test_an_app_stopped_in_the_current_run_is_left_alone():
    """Stopped by hand after the sandbox started: Docker's business."""
    info = app_info(started='2026-01-01T10:00:06.000000000Z')
    assert membership.rejoins(info, SANDBOX) is False


def test_an_app_of_another_sandbox_does_not_rejoin():
    info = app_info(network='container:older-sandbox')
    assert membership.rejoins(info, SANDBOX) is False
    # ... it is replaced instead, its policy wanting it running.
    driver = docker_driver.DockerDriver('unix:///nonexistent', 'img', 'net')
    container = types.SimpleNamespace(uuid='c1')
    assert driver._must_replace(info, container, SANDBOX) is True


def test_running_or_init_containers_do_not_rejoin():
    assert membership.rejoins(app_info(status='running'),
                              SANDBOX) is False
    assert membership.rejoins(app_info(role='init', policy='no'),
                              SANDBOX) is False


def test_a_rejoining_app_is_not_replaced():
    driver = docker_driver.DockerDriver('unix:///nonexistent', 'img', 'net')
    container = types.SimpleNamespace(uuid='c1')
    assert driver._must_replace(app_info(), container, SANDBOX) is False
    # Still running in the namespace of the sandbox's previous run: the
    # only way into the new one is a new container.
    assert driver._must_replace(app_info(status='running'), container,
                                SANDBOX) is True


# --- Reconciler._repair ------------------------------------------------------

class FakeDriver:
    def __init__(self):
        self.started = []
        self.sandboxes = []
        self.lock = threading.Lock()

    def ensure_sandbox(self, spec):
        self.sandboxes.append(spec.uuid)
        return state('Running', docker_id='sandbox')

    def start_container(self, spec, container):
        with self.lock:
            self.started.append(container.name)
        return state('Running', docker_id='new-' + container.name,
                     uuid=container.uuid)


def fake_capsule(policy, names):
    containers = [types.SimpleNamespace(uuid='u-' + n, name=n, role='app')
                  for n in names]
    return types.SimpleNamespace(uuid='capsule', restart_policy=policy,
                                 containers=containers)


@pytest.fixture
def repairer(monkeypatch):
    def to_spec(capsule, volumes):
        apps = tuple(rspec.ContainerSpec(uuid=c.uuid, name=c.name,
                                         image='busybox', role='app')
                     for c in capsule.containers)
        return rspec.CapsuleSpec(uuid=capsule.uuid, project_id='p',
                                 restart_policy=capsule.restart_policy,
                                 containers=apps)
    monkeypatch.setattr(records, 'to_spec', to_spec)
    conf = types.SimpleNamespace(runtime=types.SimpleNamespace(
        sync_workers=1, shutdown_timeout=5))
    db = types.SimpleNamespace(volumes_of=lambda uuid: [])
    rec = reconciler.Reconciler(conf, db, FakeDriver())
    yield rec
    rec.stop()


@pytest.mark.parametrize('policy,started', [
    ('always', ['a', 'b']), ('on-failure', ['a']), ('no', [])])
def test_with_the_sandbox_back_stopped_apps_follow_the_policy(
        repairer, policy, started):
    capsule = fake_capsule(policy, ['a', 'b', 'c'])
    observed = {'sandbox': state('Running'),
                'u-a': state('Stopped', 137), 'u-b': state('Stopped', 0),
                'u-c': state('Running')}
    assert repairer._repair(capsule, observed) is bool(started)
    assert sorted(repairer.driver.started) == started
    assert repairer.driver.sandboxes == []


def test_a_stopped_sandbox_is_brought_back_first(repairer):
    capsule = fake_capsule('no', ['a'])
    observed = {'sandbox': state('Stopped', 137),
                'u-a': state('Stopped', 137)}
    repairer._addressed.add('capsule')
    assert repairer._repair(capsule, observed) is True
    assert repairer.driver.sandboxes == ['capsule']
    # The driver decides per container (it leaves a Never app stopped).
    assert repairer.driver.started == ['a']
    # The sandbox's address may have changed: read it again.
    assert 'capsule' not in repairer._addressed


def test_nothing_to_do_when_all_is_well(repairer):
    capsule = fake_capsule('always', ['a'])
    observed = {'sandbox': state('Running'), 'u-a': state('Running')}
    assert repairer._repair(capsule, observed) is False
    assert repairer.driver.started == []


def test_a_restarting_sandbox_is_left_to_docker(repairer):
    capsule = fake_capsule('always', ['a'])
    observed = {'sandbox': state('Restarting'), 'u-a': state('Stopped', 1)}
    assert repairer._repair(capsule, observed) is False
    assert repairer.driver.started == []
