"""The benchmarks' raw reference asks Docker for what the engine asks.

bench/raw_docker.py's ``hardened`` reference claims to pass, by hand, the
options the engine passes (its defaults): issue 25's ratios against it are
like for like only while that holds.  Compared on real containers: one
capsule made by an engine, one by the reference, on the engine's network.
"""

import docker
import pytest

from bench import capsule_latency
from bench import create_speed
from bench import raw_docker
from tests.functional import test_capsule_runtime as runtime_tests

# HostConfig keys the engine sets (docker inspect's spelling), on both the
# sandbox and the app container.
COMPARED = ('CapDrop', 'SecurityOpt', 'PidsLimit', 'ShmSize', 'LogConfig',
            'IpcMode', 'RestartPolicy')
APP_ONLY = ('CapAdd', 'Memory', 'MemorySwap', 'NanoCpus')


@pytest.fixture(scope='module')
def client():
    return docker.from_env()


def containers_of(client, label):
    """{'sandbox' | 'app': inspect} of the containers carrying `label`."""
    found = {}
    for entry in client.api.containers(all=True, filters={'label': label}):
        info = client.api.inspect_container(entry['Id'])
        joined = info['HostConfig']['NetworkMode'].startswith('container:')
        role = 'app' if joined else 'sandbox'
        found[role] = info
    return found


def host_config(info, keys):
    config = dict(info['HostConfig'])
    # Joined containers name the sandbox by id: the same shape is enough.
    for key in ('IpcMode',):
        if str(config.get(key, '')).startswith('container:'):
            config[key] = 'container:<sandbox>'
    return {key: config.get(key) for key in keys}


def test_the_hardened_reference_passes_the_engines_options(engine, client):
    capsule = runtime_tests.create(engine, capsule_latency.quick_delete())
    runtime_tests.wait_status(engine, capsule['uuid'], 'Running')
    network = create_speed.engine_network(client, None, capsule['uuid'])
    raw = raw_docker.RawCapsules(client, network,
                                 create_speed.SANDBOX_IMAGE, hardened=True)
    tag = raw.create(capsule_latency.quick_delete())
    try:
        made = containers_of(client, '%s=%s' % (raw.label, tag))
        ours = containers_of(client, 'io.heat-capsule.capsule=%s'
                             % capsule['uuid'])
        assert set(made) == set(ours) == {'sandbox', 'app'}
        for role in ('sandbox', 'app'):
            keys = COMPARED + (APP_ONLY if role == 'app' else ())
            assert host_config(made[role], keys) == \
                host_config(ours[role], keys), role
        for info in (made['sandbox'], ours['sandbox']):
            endpoint = info['NetworkSettings']['Networks'][network]
            # A hostname, and the same name as an alias on the network.
            assert info['Config']['Hostname'] in endpoint['Aliases']
            assert info['Config']['StopSignal'] == 'SIGKILL'
    finally:
        raw.delete_all()
        runtime_tests.delete_and_wait(engine, capsule['uuid'])
