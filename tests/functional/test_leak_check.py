"""The suite's session-end leak check (tests.support.leaks, issue 22).

Each test runs pytest in a subprocess, in a scratch directory whose
conftest wires the check the way tests/conftest.py does, on a tiny test
that makes Docker objects labelled as a registered test engine's (or as
an unregistered one's, or the shared network) and leaves them on purpose.
Everything those runs make is removed here afterwards, whatever happened.
"""

import ipaddress
import os
import random
import subprocess
import sys

import pytest

from heat_capsule.engine.runtime import spec as rspec
from tests.support import engine as engine_support
from tests.support import leaks

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..',
                                         '..'))
# Scratch networks take a /29 out of this benchmarking range (RFC 2544),
# never one of Docker's default pools, which the test engines need.
SCRATCH_RANGE = ipaddress.ip_network('198.18.0.0/15')

CONFTEST = ('from tests.support.leaks import pytest_sessionfinish  # noqa\n'
            'from tests.support.leaks import pytest_testnodedown  # noqa\n')

LEAKY = '''
import docker

from tests.support import leaks

LABEL = 'io.heat-capsule.engine'


def test_leaks_on_purpose():
    client = docker.from_env()
    mine = leaks.register({instance!r})
    client.containers.run(
        'busybox:latest', ['sleep', '120'], name={name!r} + '-running',
        labels={{LABEL: mine}}, detach=True)
    client.containers.create('busybox:latest', ['true'],
                             name={name!r} + '-created',
                             labels={{LABEL: mine}})
    client.volumes.create(name={name!r} + '-volume', labels={{LABEL: mine}})
    if {subnet!r}:
        client.networks.create(
            {name!r} + '-network', internal=True, labels={{LABEL: mine}},
            ipam=docker.types.IPAMConfig(pool_configs=[
                docker.types.IPAMPool(subnet={subnet!r})]))
    # Another engine's object (the all-in-one's, another run's): not ours.
    client.volumes.create(name={name!r} + '-foreign',
                          labels={{LABEL: {foreign!r}}})
'''

CLEAN = '''
from tests.support import leaks


def test_clean():
    leaks.register({instance!r})
'''


@pytest.fixture
def client():
    return engine_support.ensure_test_images()


@pytest.fixture
def scratch(client, tmp_path):
    """(directory, object name prefix); removes whatever carries the
    prefix afterwards."""
    prefix = 'hc-leakcheck-%s' % engine_support.new_instance()
    (tmp_path / 'conftest.py').write_text(CONFTEST)
    yield tmp_path, prefix
    for container in client.containers.list(
            all=True, filters={'name': prefix}):
        container.remove(force=True, v=True)
    for volume in client.volumes.list(filters={'name': prefix}):
        volume.remove(force=True)
    for network in client.networks.list(names=[prefix + '-network']):
        network.remove()


def run_pytest(directory, source, args=()):
    (directory / 'test_tiny.py').write_text(source)
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    # Not the outer run's registry: these runs check their own objects.
    env.pop(leaks.REGISTRY_ENV, None)
    return subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-q',
         '-o', 'addopts=', *args, str(directory)],
        cwd=str(directory), env=env, capture_output=True, text=True,
        timeout=180)


def free_subnet(client):
    """A /29 in SCRATCH_RANGE that no Docker network uses."""
    used = [ipaddress.ip_network(config['Subnet'])
            for network in client.networks.list(greedy=True)
            for config in ((network.attrs.get('IPAM') or {})
                           .get('Config') or [])
            if config.get('Subnet') and ':' not in config['Subnet']]
    subnets = list(SCRATCH_RANGE.subnets(new_prefix=29))
    for subnet in random.sample(subnets, 20):
        if not any(subnet.overlaps(other) for other in used):
            return str(subnet)
    pytest.fail('no free /29 in %s' % SCRATCH_RANGE)


def labelled(client, instance):
    label = {'label': '%s=%s' % (rspec.LABEL_ENGINE, instance)}
    return sorted(
        [c.name for c in client.containers.list(all=True, filters=label)]
        + [v.name for v in client.volumes.list(filters=label)]
        + [n.name for n in client.networks.list(filters=label)])


# Plain pytest, and pytest-xdist (tools/run-tests.sh), where the worker
# that ran the test checks and the controller reports.
@pytest.mark.parametrize('args', [(), ('-n', '2')], ids=['serial', 'xdist'])
def test_leftovers_fail_the_run_are_named_and_removed(client, scratch, args):
    directory, prefix = scratch
    instance = 't%s' % prefix[-8:]
    foreign = instance + '-foreign'
    result = run_pytest(directory, LEAKY.format(
        instance=instance, name=prefix, subnet=free_subnet(client),
        foreign=foreign), args)
    output = result.stdout + result.stderr
    # The test itself passed; the check failed the run.
    assert '1 passed' in output, output
    assert result.returncode == 1, output
    assert '4 Docker object(s) left behind by test engines' in output
    for kind, suffix in (('container', '-running'),
                         ('container', '-created'),
                         ('volume', '-volume'), ('network', '-network')):
        assert '%s %s%s' % (kind, prefix, suffix) in output, output
    assert 'sleep 120' in output and 'running' in output
    assert 'engine instance %s' % instance in output
    # Removed, all of them; the foreign volume is not this run's business.
    assert labelled(client, instance) == []
    assert labelled(client, foreign) == [prefix + '-foreign']
    assert prefix + '-foreign' not in output


def test_a_clean_run_passes(client, scratch):
    directory, prefix = scratch
    result = run_pytest(directory, CLEAN.format(
        instance='t%s' % prefix[-8:]))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert 'left behind' not in output


def test_the_whole_run_check_reads_the_registry(client, scratch):
    """tools/run-tests.sh's last check: every instance a run's processes
    appended to $HC_LEAK_REGISTRY, checked after all its pytest runs."""
    directory, prefix = scratch
    registry = directory / 'registry'
    instance = 't%s' % prefix[-8:]
    env = dict(os.environ, PYTHONPATH=REPO_ROOT,
               **{leaks.REGISTRY_ENV: str(registry)})
    subprocess.run([sys.executable, '-c',
                    'from tests.support import leaks; '
                    'leaks.register(%r)' % instance],
                   env=env, check=True, timeout=60)
    assert registry.read_text() == instance + '\n'

    def check():
        return subprocess.run(
            [sys.executable, '-m', 'tests.support.leaks', str(registry)],
            env=env, cwd=REPO_ROOT, capture_output=True, text=True,
            timeout=120)

    clean = check()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert 'over 1 test engine instance(s) of the whole run: clean' in \
        clean.stdout
    client.volumes.create(name=prefix + '-volume',
                          labels={rspec.LABEL_ENGINE: instance})
    leaked = check()
    assert leaked.returncode == 1, leaked.stdout + leaked.stderr
    assert 'volume %s-volume (engine instance %s)' % (prefix, instance) \
        in leaked.stdout
    assert labelled(client, instance) == []
