"""Docker restart: dockerd restarted under running capsules.

A private dockerd (``tests/support/dockerd.py``: own socket, data root,
containerd, network namespace; the system daemon is never touched) runs a real
``heat-capsule-engine`` process with capsules of every restart policy:

* ``always``: Always; an init container fills a volume, ``web`` serves it
  with busybox httpd on port 8080 (published on 127.0.0.1), ``client``
  sleeps; both share the sandbox's localhost;
* ``onfailure``: OnFailure, a ``sleep`` (SIGKILLed by the daemon stop: 137);
* ``done``: OnFailure, an app that exited 0 before the restart;
* ``never``: Never, a ``sleep`` (137) and a shell that exits 143 on SIGTERM;
* ``flush``: Never, terminationGracePeriodSeconds 16, a shell that needs
  11 s after SIGTERM to exit 0: more than Docker's default stop timeout
  (10 s), so it exits 0 only if the daemon waits the capsule's grace period
  (the engine sets it as each container's StopTimeout).

Then dockerd is restarted (SIGTERM, wait, start on the same data root) while
the engine keeps running. The engine's periodic resync is off (an hour), so
only its event watcher, reconnecting by itself, can bring the statuses back.
Expected, within seconds of the daemon answering again: Always and OnFailure
(non-zero exit) app containers run again, as the same Docker containers,
inside the sandbox's new network namespace (checked over localhost with an
exec and through the newly published port, which the endpoints extension
reports); the OnFailure app that exited 0 and the Never apps stay
stopped, and the capsules say so with the exit codes; the database and
Docker agree (statuses, addresses, no orphan and nothing lost); deleting
every capsule leaves nothing behind.
``pytest -s`` prints the figures.
"""

import time

import pytest
import requests

from heat_capsule.engine.runtime.docker import state as docker_state
from heat_capsule.engine.runtime import images
from heat_capsule.engine.runtime import spec as rspec
from tests import reliability
from tests.support import capsule_api
from tests.support import dockerd
from tests.support import engine as engine_support

HEADERS = capsule_api.HEADERS
PAGE = 'served from the volume\n'
SLEEP = ['sleep', '3600']
TERM_143 = ['sh', '-c', 'trap "exit 143" TERM; while :; do sleep 1; done']
SLOW_FLUSH = ['sh', '-c', 'trap "sleep 11; exit 0" TERM; sleep 3600 & wait']


def busybox(name, command, **extra):
    return dict(name=name, image='busybox', command=command, **extra)


TEMPLATES = {
    'always': {'restartPolicy': 'Always',
               'initContainers': [busybox(
                   'fill', ['sh', '-c', 'echo "%s" > /www/index.html'
                            % PAGE.strip()],
                   volumeMounts=[{'name': 'www', 'mountPath': '/www'}])],
               'containers': [
                   busybox('web', ['httpd', '-f', '-p', '8080', '-h', '/www'],
                           ports=[{'containerPort': 8080}],
                           volumeMounts=[{'name': 'www',
                                          'mountPath': '/www'}]),
                   busybox('client', SLEEP)],
               'volumes': [{'name': 'www',
                            'cinder': {'size': 1, 'autoRemove': True}}]},
    'onfailure': {'restartPolicy': 'OnFailure',
                  'containers': [busybox('main', SLEEP)]},
    'done': {'restartPolicy': 'OnFailure',
             'containers': [busybox('main', ['true'])]},
    'never': {'restartPolicy': 'Never',
              'containers': [busybox('sleeper', SLEEP),
                             busybox('trapper', TERM_143)]},
    'flush': {'restartPolicy': 'Never', 'terminationGracePeriodSeconds': 16,
              'containers': [busybox('slow', SLOW_FLUSH)]},
}
# What each capsule must show once the restart is over: its status, and
# per app container whether it runs and, if not, its exit code.
EXPECTED = {
    'always': ('Running', {'web': None, 'client': None}),
    'onfailure': ('Running', {'main': None}),
    'done': ('Stopped', {'main': 0}),
    'never': ('Error', {'sleeper': 137, 'trapper': 143}),
    'flush': ('Stopped', {'slow': 0}),
}
# Running before the restart, stopped by it for good (restart policy Never).
STOPPED_BY_THE_RESTART = ('never', 'flush')


@pytest.fixture
def daemon():
    private = dockerd.PrivateDockerd()
    try:
        private.start()
        yield private
    finally:
        private.cleanup()


def listed(url):
    resp = requests.get(url + '/v1/capsules', headers=HEADERS, timeout=10)
    assert resp.status_code == 200, resp.text
    return {c['name']: c for c in resp.json()['capsules']}


def labelled(client, instance):
    """{docker name: attrs} of every container of this engine instance."""
    owner = '%s=%s' % (rspec.LABEL_ENGINE, instance)
    return {c.name: c.attrs for c in client.containers.list(
        all=True, filters={'label': owner})}


def started(attrs):
    return docker_state.parse_time(attrs['State']['StartedAt'])


def docker_name(capsule_uuid, name=None):
    return 'hc-%s' % capsule_uuid + ('-%s' % name if name else '')


def mismatches(url, client, instance, uuids):
    """Everything that differs from EXPECTED, in the API or in Docker."""
    problems = []
    capsules = listed(url)
    containers = labelled(client, instance)
    for key, (status, apps) in EXPECTED.items():
        body = capsules[key]
        if body['status'] != status:
            problems.append('%s is %s (%s)' % (key, body['status'],
                                               body['status_reason']))
        sandbox = containers.get(docker_name(uuids[key]))
        if sandbox is None or not sandbox['State']['Running']:
            problems.append('%s: sandbox not running' % key)
            continue
        # On its project's network only.
        attached = list(sandbox['NetworkSettings']['Networks'].values())
        ip = attached[0].get('IPAddress') if len(attached) == 1 else None
        recorded = [a['addr'] for nets in body['addresses'].values()
                    for a in nets]
        if recorded != [ip]:
            problems.append('%s: addresses %s, Docker says %s'
                            % (key, recorded, ip))
        shown = {c['name']: c for c in body['containers']}
        for name, code in apps.items():
            attrs = containers[docker_name(uuids[key], name)]
            state = attrs['State']
            if code is None:
                joined = (attrs['HostConfig']['NetworkMode'] ==
                          'container:%s' % sandbox['Id'] and
                          started(attrs) >= started(sandbox))
                if not state['Running'] or not joined:
                    problems.append('%s/%s: running=%s joined=%s' % (
                        key, name, state['Running'], joined))
                if shown[name]['status'] != 'Running':
                    problems.append('%s/%s shown %s' % (
                        key, name, shown[name]['status']))
            else:
                if state['Running'] or state['ExitCode'] != code:
                    problems.append('%s/%s: %s exit %s, want exit %s' % (
                        key, name, state['Status'], state['ExitCode'],
                        code))
                if shown[name]['status'] != 'Stopped':
                    problems.append('%s/%s shown %s' % (
                        key, name, shown[name]['status']))
    return problems


# The long variant (HC_RELIABILITY_SCALE) repeats the whole scenario, each
# time on a fresh daemon: which containers lose Docker's start race varies.
@pytest.mark.parametrize('round_', range(1, reliability.scale() + 1),
                         ids=lambda n: 'round-%d' % n)
def test_docker_restart_under_running_capsules(daemon, round_):
    client = daemon.client()
    images.build_busybox_image(client, engine_support.BUSYBOX)
    engine = engine_support.EngineProcess(
        extra_conf='docker_url = %s\n' % daemon.url,
        resync_interval=3600).start()
    try:
        run(daemon, client, engine)
    except BaseException:
        lines = [line for line in _engine_log(engine).splitlines()
                 if '"GET /v1/capsules' not in line]    # polling noise
        print('engine log (%s) tail:' % engine.state_dir)
        print('\n'.join(lines[-60:]))
        print(daemon.log_tail())
        raise
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())


def run(daemon, client, engine):
    uuids = {}
    for key, spec in TEMPLATES.items():
        resp = requests.post(
            engine.url + '/v1/capsules', headers=HEADERS, timeout=30,
            json={'template': {'kind': 'capsule', 'metadata': {'name': key},
                               'spec': spec}})
        assert resp.status_code == 202, resp.text
        uuids[key] = resp.json()['uuid']

    def settled():
        capsules = listed(engine.url)
        return all(capsules[key]['status'] == status
                   for key, (status, _apps) in EXPECTED.items()
                   if key not in STOPPED_BY_THE_RESTART) and \
            all(capsules[key]['status'] == 'Running'
                for key in STOPPED_BY_THE_RESTART)
    engine_support.wait_for(settled, timeout=90, interval=0.5,
                            what='capsules Running (done: Stopped)')
    before = labelled(client, engine.instance)
    pid = engine.proc.pid

    stop_seconds, start_seconds = daemon.restart()
    back = time.monotonic()
    # The daemon answers only once its own restarts are done: what runs
    # now is Docker's doing, before the engine could act.
    by_docker = labelled(client, engine.instance)

    problems = []

    def converged():
        problems[:] = mismatches(engine.url, client, engine.instance, uuids)
        return not problems
    try:
        engine_support.wait_for(converged, timeout=30, interval=0.2,
                                what='statuses resynced after the restart')
    except AssertionError:
        raise AssertionError('not converged: %s' % problems)
    resynced = time.monotonic() - back
    assert engine.proc.poll() is None and engine.proc.pid == pid
    assert 'Docker is back; resyncing every capsule' in _engine_log(engine)

    after = labelled(client, engine.instance)
    # Nothing lost, nothing added: the same containers, none replaced.
    assert {n: a['Id'] for n, a in after.items()} == \
        {n: a['Id'] for n, a in before.items()}
    # The app that had exited 0 was not started again.
    done = docker_name(uuids['done'], 'main')
    assert after[done]['State']['StartedAt'] == \
        before[done]['State']['StartedAt']
    # Init containers ran once, before the restart.
    fill = docker_name(uuids['always'], 'fill')
    assert after[fill]['State']['StartedAt'] == \
        before[fill]['State']['StartedAt']

    # The Always capsule works again: localhost is shared, the volume is
    # there, and the port is published anew on 127.0.0.1.
    result = client.containers.get(docker_name(uuids['always'], 'client')) \
        .exec_run(['wget', '-qO-', 'http://127.0.0.1:8080/'])
    assert (result.exit_code, result.output.decode()) == (0, PAGE)
    sandbox = after[docker_name(uuids['always'])]
    host_port = sandbox['NetworkSettings']['Ports']['8080/tcp'][0]
    assert host_port['HostIp'] == '127.0.0.1'
    # 127.0.0.1 of the private daemon's network namespace (see dockerd.py).
    page = daemon.fetch('http://127.0.0.1:%s/' % host_port['HostPort'])
    assert page == PAGE
    # The endpoints extension tells that port (read from Docker, so it is
    # the one published anew), and the page answers there.
    resp = requests.get('%s/v1/capsules/%s/endpoints' % (
        engine.url, uuids['always']), headers=HEADERS, timeout=10)
    assert resp.json() == {'endpoints': [{
        'container': 'web', 'container_port': 8080, 'protocol': 'tcp',
        'host_ip': '127.0.0.1', 'host_port': int(host_port['HostPort'])}]}
    assert daemon.fetch('http://127.0.0.1:%d/' % resp.json()['endpoints'][
        0]['host_port']) == PAGE

    # The reasons name the exit codes.
    capsules = listed(engine.url)
    reason = capsules['never']['status_reason']
    assert 'sleeper exited with code 137' in reason, reason
    assert 'trapper exited with code 143' in reason, reason
    assert 'exited with code 0' in capsules['done']['status_reason']

    # Still so a little later: nothing flaps, nothing else starts.
    time.sleep(2)
    assert mismatches(engine.url, client, engine.instance, uuids) == []

    apps = [(key, name) for key, (_s, names) in EXPECTED.items()
            for name in names]
    docker_ran = sorted('%s/%s' % (key, name) for key, name in apps
                        if by_docker[docker_name(uuids[key], name)]
                        ['State']['Running'])
    engine_ran = sorted('%s/%s' % (key, name) for key, name in apps
                        if EXPECTED[key][1][name] is None and
                        '%s/%s' % (key, name) not in docker_ran)
    print('\ndockerd stop %.1f s, start %.1f s; daemon back -> all %d '
          'capsules (%d containers) resynced in %.1f s; app containers '
          'restarted by Docker itself: %s; by the engine: %s; left '
          'stopped: %d' % (
              stop_seconds, start_seconds, len(uuids), len(after), resynced,
              docker_ran or 'none', engine_ran or 'none',
              sum(1 for key, name in apps
                  if EXPECTED[key][1][name] is not None)))

    for capsule_uuid in uuids.values():
        resp = requests.delete(engine.url + '/v1/capsules/' + capsule_uuid,
                               headers=HEADERS, timeout=10)
        assert resp.status_code == 204, resp.text
    engine_support.wait_for(lambda: listed(engine.url) == {}, timeout=60,
                            what='every capsule deleted')
    assert labelled(client, engine.instance) == {}
    owner = '%s=%s' % (rspec.LABEL_ENGINE, engine.instance)
    assert client.volumes.list(filters={'label': owner}) == []


def _engine_log(engine):
    try:
        with open('%s/engine.log' % engine.state_dir) as handle:
            return handle.read()
    except OSError:
        return ''
