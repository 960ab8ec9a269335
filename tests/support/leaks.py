"""The suite's leak check: Docker objects of this session's test engines.

Every test engine runs under an instance name of its own
(:func:`tests.support.engine.new_instance`), and every Docker object an
engine makes carries it in the label ``io.heat-capsule.engine``. An engine
only ever collects its own objects, so whatever a test leaves behind stays
on the host for good once that engine is gone (issue 22: a running capsule
after a green run, one more per run).

The instance names a pytest process hands out are recorded here
(:func:`register`). After the last test (``pytest_sessionfinish``, wired in
tests/conftest.py) every container, volume and network labelled with one of
them is listed, removed, and named in the report, and the run fails.
Under pytest-xdist every worker checks the instances it registered and
the controller reports the verdicts. A run made of several pytest
sessions (tools/run-tests.sh: a parallel phase, then a serial one) also
lists every instance in the file ``$HC_LEAK_REGISTRY`` and checks them
all once more at the very end (``python -m tests.support.leaks FILE``).

Left alone on purpose:

* the network ``hc-test`` (:data:`SHARED_NETWORKS`), which test engines
  of earlier versions shared; today's test engines make per-project
  networks (issue 26), which their engine removes with the project's last
  capsule, so one left behind is a leak like any other object;
* everything of instances not registered in this process: the
  all-in-one's (``allinone``, tools/allinone.sh), devstack's, and the test
  engines of another test run sharing the same Docker at the same time;
* images (``busybox:latest`` and the sandbox image are kept for reuse).
"""

import os
import sys

import docker
import pytest

from heat_capsule.engine.runtime import spec as rspec

# The test network of earlier versions (see above).
SHARED_NETWORKS = ('hc-test',)

_INSTANCES = set()
# A file every process of a run appends its instance names to (see main).
REGISTRY_ENV = 'HC_LEAK_REGISTRY'
_WORKER_KEY = 'hc_leak_check'
_VERDICTS = '_hc_leak_verdicts'


def register(instance):
    """Record a test engine's instance name; returns it.  Also appended
    to the file named by ``$HC_LEAK_REGISTRY``, if set, for the check
    over a whole run (:func:`main`)."""
    _INSTANCES.add(instance)
    registry = os.environ.get(REGISTRY_ENV)
    if registry:
        with open(registry, 'a') as handle:
            handle.write(instance + '\n')
    return instance


def registered():
    return frozenset(_INSTANCES)


def _owned(objects, instances, labels_of):
    for obj in objects:
        instance = (labels_of(obj) or {}).get(rspec.LABEL_ENGINE)
        if instance in instances:
            yield obj, instance


def leftovers(client, instances):
    """Docker objects labelled with one of `instances`.

    :returns: a list of ``(kind, name, instance, remove)`` tuples, kind
        being ``container``, ``volume`` or ``network``, `remove` a callable
        that removes the object (containers forcibly, with their anonymous
        volumes); containers come first, so the rest can be removed after.
    """
    wanted = {'label': rspec.LABEL_ENGINE}
    found = []
    # One list call, no inspect per container: other engines' containers
    # (a parallel run's) come and go meanwhile.
    for entry, instance in _owned(
            client.api.containers(all=True, filters=wanted), instances,
            lambda e: e.get('Labels')):
        name = (entry.get('Names') or [entry['Id']])[0].lstrip('/')
        found.append(('container', '%s (%s, %s)' % (
            name, entry.get('State'), entry.get('Command')), instance,
            lambda i=entry['Id']: client.api.remove_container(
                i, force=True, v=True)))
    for volume, instance in _owned(
            client.volumes.list(filters=wanted), instances,
            lambda v: v.attrs.get('Labels')):
        found.append(('volume', volume.name, instance,
                      lambda v=volume: v.remove(force=True)))
    for network, instance in _owned(
            client.networks.list(filters=wanted), instances,
            lambda n: n.attrs.get('Labels')):
        if network.name not in SHARED_NETWORKS:
            found.append(('network', network.name, instance, network.remove))
    return found


def stale_endpoint_count(client, kind, name, exc):
    """Whether Docker refused to remove network `name` only because of its
    own stale endpoint count: "has active endpoints" while no container,
    in any state, is attached (Docker 20.10 can keep such a count after
    heavy concurrent creates and removals; forcing a disconnect by the
    old containers' names finds no endpoint, and only a dockerd restart
    clears it).  Nothing a test or the engine can remove."""
    if kind != 'network' or 'has active endpoints' not in str(exc):
        return False
    return not client.api.containers(all=True, filters={'network': name})


def remove(found, client=None):
    """Remove what :func:`leftovers` found.

    :returns: ``(errors, stale)``: text lines for the objects that could
        not be removed, and the names of the networks among them that
        only Docker's stale endpoint count keeps (see
        :func:`stale_endpoint_count`; checked when `client` is given).
    """
    errors, stale = [], []
    for kind, name, _instance, remove_one in found:
        try:
            remove_one()
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if client is not None and stale_endpoint_count(
                    client, kind, name, exc):
                stale.append(name)
            else:
                errors.append('could not remove %s %s: %s'
                              % (kind, name, exc))
    return errors, stale


def check(instances):
    """Look for, remove and judge the Docker objects of `instances`.

    :returns: None when nothing is left, else ``(title, lines, failed)``:
        the report's title and lines, and whether the run must fail
        (False when only networks Docker's stale endpoint count keeps are
        left, which is said, not failed).
    """
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except docker.errors.DockerException as exc:
        # No Docker here: the tests that need it skipped or failed already.
        return ('leak check skipped', [
            'no Docker to check %d test engine(s) on: %s'
            % (len(instances), exc)], False)
    try:
        try:
            found = leftovers(client, instances)
        except docker.errors.DockerException as exc:
            return ('leak check failed', [
                'listing the Docker objects of %d test engine(s) failed: %s'
                % (len(instances), exc)], True)
        if not found:
            return None
        errors, stale = remove(found, client)
    finally:
        client.close()
    if len(stale) == len(found):
        # Only networks Docker itself cannot remove: said, not failed.
        return ('leak check: %d network(s) Docker keeps with a stale '
                'endpoint count' % len(stale), [
                    '%s: no container is attached, yet Docker refuses to '
                    'remove it ("has active endpoints"); a dockerd restart '
                    'clears it' % name for name in stale], False)
    lines = ['%s %s (engine instance %s)' % (kind, name, instance)
             for kind, name, instance, _ in found]
    lines += errors
    lines += ['could not remove network %s: Docker\'s stale endpoint count '
              '(no container attached)' % name for name in stale]
    lines.append('The run fails because of them: a test or fixture did not '
                 'clean up (tests.support.leaks).')
    return ('%d Docker object(s) left behind by test engines (removed now)'
            % len(found), lines, True)


def _report(session, title, lines, red=True):
    reporter = session.config.pluginmanager.get_plugin('terminalreporter')
    if reporter is None:
        print(title, *lines, sep='\n')
        return
    reporter.ensure_newline()
    reporter.write_sep('=', title, red=red, bold=True)
    for line in lines:
        reporter.write_line(line)


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if this session's test engines left Docker objects.

    Under pytest-xdist each worker checks the engines it registered and
    hands its verdict to the controller (``workeroutput``, read in
    :func:`pytest_testnodedown`), which reports it and fails the run.
    """
    config = session.config
    instances = registered()
    verdict = check(instances) if instances else None
    if hasattr(config, 'workeroutput'):          # an xdist worker
        config.workeroutput[_WORKER_KEY] = verdict
        return
    verdicts = getattr(config, _VERDICTS, []) + [verdict]
    for found in verdicts:
        if found is None:
            continue
        title, lines, failed = found
        _report(session, title, lines, red=failed)
        if failed:
            session.exitstatus = session.exitstatus or 1


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist: keep a finished worker's leak check verdict (see above)."""
    verdict = getattr(node, 'workeroutput', {}).get(_WORKER_KEY)
    if verdict is not None:
        config = node.config
        setattr(config, _VERDICTS,
                getattr(config, _VERDICTS, []) + [tuple(verdict)])


def main(argv=None):
    """``python -m tests.support.leaks REGISTRY``: the check over every
    instance name listed in REGISTRY (one a line, as :func:`register`
    writes them under ``HC_LEAK_REGISTRY``), for a run made of several
    pytest sessions (tools/run-tests.sh). Exit code 1 if it fails."""
    import argparse
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument('registry')
    args = parser.parse_args(argv)
    try:
        with open(args.registry) as handle:
            instances = {line.strip() for line in handle if line.strip()}
    except FileNotFoundError:
        instances = set()
    verdict = check(instances) if instances else None
    print('leak check over %d test engine instance(s) of the whole run: %s'
          % (len(instances), 'clean' if verdict is None else verdict[0]))
    if verdict is None:
        return 0
    print(*verdict[1], sep='\n')
    return 1 if verdict[2] else 0


if __name__ == '__main__':
    sys.exit(main())
