"""The all-in-one's command line, on a throwaway state directory.

Reached only through ``bash tools/allinone.sh ...`` (the product's entry
point), never by importing allinone/: the dashboard form refuses to start
without Keystone and starts nothing else; ``dashboard stop`` and the main
``stop`` end a recorded dashboard process and nothing that was not
recorded. The real services' state directory is never touched (these use
their own HC_ALLINONE_DIR and ports nobody listens on).
"""

import os
import socket
import subprocess
import tempfile
import time

import pytest

from tests.e2e import base

SCRIPT = os.path.join(base.REPO_ROOT, 'tools', 'allinone.sh')

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason='the all-in-one runs as root')


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _allinone(state, *args):
    env = dict(os.environ, HC_ALLINONE_DIR=state,
               HC_ALLINONE_KEYSTONE_PORT=str(_free_port()),
               HC_ALLINONE_DASHBOARD_PORT=str(_free_port()),
               HC_ALLINONE_DASHBOARD_VENV=os.path.join(state, 'no-venv'))
    return subprocess.run(['bash', SCRIPT] + list(args), env=env,
                          capture_output=True, text=True, timeout=120)


def _start_time(pid):
    with open('/proc/%d/stat' % pid) as handle:
        return handle.read().rsplit(')', 1)[1].split()[19]


@pytest.fixture
def state():
    with tempfile.TemporaryDirectory(prefix='hc-allinone-') as path:
        yield path


@pytest.fixture
def recorded_dashboard(state):
    """A process in its own session recorded as the dashboard, and one
    that is not recorded; both killed at the end whatever happens."""
    os.makedirs(os.path.join(state, 'run'))
    procs = [subprocess.Popen(['setsid', 'sleep', '300'])
             for _ in range(2)]
    try:
        time.sleep(0.2)
        with open(os.path.join(state, 'run', 'dashboard.pid'), 'w') as f:
            f.write('%d %s\n' % (procs[0].pid, _start_time(procs[0].pid)))
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_dashboard_needs_keystone_and_starts_nothing(state):
    result = _allinone(state, 'dashboard')
    assert result.returncode != 0
    assert 'Keystone does not answer' in result.stderr
    assert not os.path.exists(os.path.join(state, 'no-venv'))
    assert os.listdir(os.path.join(state, 'run')) == []


@pytest.mark.parametrize('command', [('dashboard', 'stop'), ('stop',)])
def test_stop_ends_the_recorded_dashboard_only(state, recorded_dashboard,
                                               command):
    recorded, other = recorded_dashboard
    result = _allinone(state, *command)
    assert result.returncode == 0, result.stderr
    assert 'stopping dashboard (pid %d' % recorded.pid in result.stdout
    assert recorded.wait(timeout=30) is not None
    assert other.poll() is None
    assert not os.path.exists(os.path.join(state, 'run', 'dashboard.pid'))
    assert _allinone(state, 'dashboard', 'check').returncode != 0
