"""The real engine refuses noauth on a non-loopback address, and with the
explicit override starts and warns.

The override case listens on 0.0.0.0 inside a network namespace of its own
(``unshare --net``, only loopback in it; root needed), so nothing outside
the test can reach it; its one client runs in that namespace too.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from tests.support import engine as engine_support

ENGINE = os.path.join(os.path.dirname(sys.executable), 'heat-capsule-engine')


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return ''


def test_noauth_on_a_network_address_is_refused():
    engine = engine_support.EngineProcess(
        extra_conf='[api]\nlisten = 0.0.0.0\n')
    with pytest.raises(RuntimeError, match='engine exited with 2'):
        engine.start()
    said = read(os.path.join(engine.state_dir, 'stdout.log'))
    assert 'refusing to start' in said
    assert 'allow_insecure_noauth' in said
    assert 'refusing to start' in read(os.path.join(engine.state_dir,
                                                    'engine.log'))
    # It stopped before binding: nothing answers on the port.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(('127.0.0.1', engine.port), timeout=2)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which('unshare'),
                    reason='needs root and unshare for a private netns')
def test_the_override_starts_and_warns_at_start_and_first_use():
    state_dir = tempfile.mkdtemp(prefix='hc-engine-')
    port = 9517
    config = engine_support.write_config(
        state_dir, port, engine_support.new_instance(), extra=(
            'enabled = false\n'
            '[api]\nlisten = 0.0.0.0\nallow_insecure_noauth = true\n'))
    log = os.path.join(state_dir, 'engine.log')
    proc = subprocess.Popen(
        ['unshare', '--net', '--', 'sh', '-c',
         'ip link set lo up && exec "$0" --config-file "$1"', ENGINE,
         config],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        engine_support.wait_for(lambda: 'listening on' in read(log),
                                timeout=30, what='engine listening')
        assert proc.poll() is None
        text = read(log)
        assert 'WARNING' in text and 'INSECURE' in text
        assert 'noauth request from' not in text

        client = (
            'import urllib.request\n'
            'for _ in range(3):\n'
            '    urllib.request.urlopen("http://127.0.0.1:%d/v1/capsules",'
            ' timeout=10).read()\n' % port)
        for _ in range(2):
            subprocess.run(
                ['nsenter', '--net=/proc/%d/ns/net' % proc.pid, '--',
                 sys.executable, '-c', client], check=True, timeout=60)
        time.sleep(0.5)
        warnings = [line for line in read(log).splitlines()
                    if 'noauth request from 127.0.0.1' in line]
        assert len(warnings) == 1, warnings
        assert 'WARNING' in warnings[0] and 'project demo' in warnings[0]
    finally:
        proc.terminate()
        proc.wait(30)
