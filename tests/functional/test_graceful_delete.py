"""Graceful delete on real Docker: stop signal, grace period, kill, removal.

An engine process deletes capsules whose programs trap their stop signal
and flush a marker to a kept volume, or ignore it. What happened is read
back from Docker itself: its event log for the capsule's containers (which
signal each got, when, how it exited, the order of removal) and the kept
volume, attached by its id to a new capsule that prints it. Durations are
printed (``pytest -s``); the only time checked is that nothing was killed
before its grace period was over.
"""

import io
import time
import uuid

import docker
import pytest
import requests

from heat_capsule.engine.runtime import spec as rspec
from tests.functional.conftest import app
from tests.functional.conftest import run_capsule
from tests.functional.conftest import wait_for as wait_short
from tests.support import capsule_api
from tests.support import docker_events as docker_events_support
from tests.support import engine as engine_support

HEADERS = capsule_api.HEADERS
DEFAULT_GRACE = 2          # the module engine's default grace period
SIGTERM, SIGUSR1, SIGKILL = '15', '10', '9'

# PID 1 of a busybox container: trap the signal, flush a marker to the
# kept volume, exit 0. ``wait`` returns as soon as a trapped signal comes.
FLUSH = ('trap "echo %(what)s > /data/%(file)s; exit 0" %(signal)s; '
         'echo ready; sleep 3600 & wait')


def flushing(name, signal='TERM', what=None, image='busybox', before=''):
    script = FLUSH % {'what': what or signal.lower(), 'file': name,
                      'signal': signal}
    if before:      # something slow before the flush (inside the trap)
        script = script.replace('trap "', 'trap "%s; ' % before, 1)
    if signal != 'TERM':   # SIGTERM would be the wrong signal: say so
        script = ('trap "echo wrong-signal > /data/%s; exit 0" TERM; '
                  % name) + script
    return {'name': name, 'image': image, 'command': ['sh', '-c', script],
            'volumeMounts': [{'name': 'state', 'mountPath': '/data'}]}


def ignoring(name):
    """PID 1 without handlers: the kernel drops its SIGTERM."""
    return {'name': name, 'image': 'busybox', 'command': ['sleep', '3600']}


def capsule_template(name, containers, grace=None, volumes=None,
                     policy='Always'):
    spec = {'containers': containers, 'restartPolicy': policy}
    if grace is not None:
        spec['terminationGracePeriodSeconds'] = grace
    if volumes is not None:
        spec['volumes'] = volumes
    return {'kind': 'capsule', 'metadata': {'name': name}, 'spec': spec}


KEPT_VOLUME = [{'name': 'state', 'cinder': {'size': 1,
                                            'autoRemove': False}}]


# -- the engine's API ---------------------------------------------------------

def create(url, template, expect=202):
    resp = requests.post(url + '/v1/capsules', json={'template': template},
                         headers=HEADERS, timeout=30)
    assert resp.status_code == expect, resp.text
    return resp.json()


def show(url, ident):
    return requests.get(url + '/v1/capsules/' + ident, headers=HEADERS,
                        timeout=30)


def delete(url, ident):
    resp = requests.delete(url + '/v1/capsules/' + ident, headers=HEADERS,
                           timeout=30)
    assert resp.status_code == 204, resp.text


def wait_status(url, ident, status, timeout=60):
    def reached():
        body = show(url, ident).json()
        assert body.get('status') != 'Error', body
        return body if body.get('status') == status else None
    return engine_support.wait_for(reached, timeout=timeout,
                                   what='%s %s' % (ident, status))


def wait_gone(url, ident, timeout=90):
    engine_support.wait_for(lambda: show(url, ident).status_code == 404,
                            timeout=timeout, what='%s gone' % ident)


def logs(url, container_uuid):
    resp = requests.get(url + '/v1/containers/%s/logs' % container_uuid,
                        headers=HEADERS, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def wait_ready(url, capsule):
    """Every app container printed 'ready': its trap is installed."""
    for container in capsule['containers']:
        engine_support.wait_for(
            lambda: 'ready' in logs(url, container['uuid']), timeout=30,
            what='%s ready' % container['name'])


def volume_id(url, capsule_uuid):
    resp = requests.get(url + '/v1/capsules/%s/volumes' % capsule_uuid,
                        headers=HEADERS, timeout=30)
    (volume,) = resp.json()['volumes']
    return volume['id']


def read_kept_volume(url, volume_uuid, *files):
    """Attach the kept volume to a new capsule that prints `files`."""
    reader = create(url, capsule_template(
        'reader-%s' % uuid.uuid4().hex[:6],
        [{'name': 'cat', 'image': 'busybox', 'command': [
            'sh', '-c', 'for f in %s; do echo "$f=$(cat /data/$f)"; done'
            % ' '.join(files)],
          'volumeMounts': [{'name': 'state', 'mountPath': '/data'}]}],
        volumes=[{'name': 'state', 'cinder': {'volumeID': volume_uuid}}],
        policy='Never'))
    body = wait_status(url, reader['uuid'], 'Stopped')
    text = logs(url, body['containers'][0]['uuid'])
    delete(url, reader['uuid'])
    wait_gone(url, reader['uuid'])
    return dict(line.split('=', 1) for line in text.split())


# -- what Docker saw ----------------------------------------------------------

# What a delete ends with: the sandbox removed, after every container.
SANDBOX_GONE = (('destroy', 'sandbox'),)


def follow(client, capsule_uuid):
    """The capsule's container events from now on (an EventLog: a query
    for past events would miss those that other work on the daemon has
    pushed out of Docker's buffer meanwhile)."""
    return docker_events_support.EventLog(
        client, '%s=%s' % (rspec.LABEL_CAPSULE, capsule_uuid))


def docker_events(log, capsule_uuid, until=SANDBOX_GONE):
    """(seconds, action, role or container name, attributes) of the
    capsule's containers, oldest first, once `until` was seen; closes
    `log`."""
    try:
        return log.events(capsule_uuid, until)
    finally:
        log.close()


def of(events, who, action):
    return [e for e in events if e[2] == who and e[1] == action]


def signals(events, who):
    return [e[3]['signal'] for e in of(events, who, 'kill')]


def exit_codes(events, who):
    return [e[3]['exitCode'] for e in of(events, who, 'die')]


def assert_sandbox_last(events, apps):
    sandbox_gone = of(events, 'sandbox', 'destroy')[0][0]
    for name in apps:
        assert of(events, name, 'destroy')[0][0] <= sandbox_gone, name


def leftovers(client, capsule_uuid):
    return client.containers.list(all=True, filters={
        'label': '%s=%s' % (rspec.LABEL_CAPSULE, capsule_uuid)})


# -- fixtures ---------------------------------------------------------------

@pytest.fixture(scope='module')
def client():
    engine_support.ensure_test_images()
    return docker.from_env()


@pytest.fixture(scope='module')
def engine(client):
    process = engine_support.EngineProcess(
        grace_period=DEFAULT_GRACE,
        extra_conf='max_termination_grace_period = 120\n').start()
    yield process
    process.stop()
    engine_support.remove_everything(process.driver())


@pytest.fixture(scope='module')
def stopsignal_image(client):
    """busybox with ``STOPSIGNAL SIGUSR1``, built here, removed after."""
    tag = 'heat-capsule-test/stopsignal:%s' % uuid.uuid4().hex[:8]
    client.images.build(fileobj=io.BytesIO(
        b'FROM busybox:latest\nSTOPSIGNAL SIGUSR1\n'), tag=tag, rm=True)
    yield tag
    client.images.remove(tag, force=True)


# -- tests ------------------------------------------------------------------

def test_programs_get_their_stop_signal_and_flush_to_a_kept_volume(
        engine, client, stopsignal_image):
    """SIGTERM, or the image's STOPSIGNAL; each exits 0 on its own, Docker
    does not restart it (restartPolicy Always), the sandbox goes last, and
    the markers are on the volume when a new capsule attaches it."""
    capsule = create(engine.url, capsule_template(
        'flush', [flushing('term'),
                  flushing('usr1', signal='USR1', image=stopsignal_image)],
        grace=60, volumes=KEPT_VOLUME))
    wait_status(engine.url, capsule['uuid'], 'Running')
    wait_ready(engine.url, capsule)
    kept = volume_id(engine.url, capsule['uuid'])

    since = time.time()
    log = follow(client, capsule['uuid'])
    delete(engine.url, capsule['uuid'])
    wait_gone(engine.url, capsule['uuid'])
    took = time.time() - since
    events = docker_events(log, capsule['uuid'])

    print('\ngraceful delete of 2 flushing containers (grace 60 s): '
          '%.2f s' % took)
    assert signals(events, 'term') == [SIGTERM]
    assert signals(events, 'usr1') == [SIGUSR1]
    assert exit_codes(events, 'term') == ['0']
    assert exit_codes(events, 'usr1') == ['0']
    assert of(events, 'term', 'start') == of(events, 'usr1', 'start') == []
    assert_sandbox_last(events, ['term', 'usr1'])
    assert leftovers(client, capsule['uuid']) == []
    assert read_kept_volume(engine.url, kept, 'term', 'usr1') == {
        'term': 'term', 'usr1': 'usr1'}


def test_programs_ignoring_sigterm_are_killed_after_the_grace_period(
        engine, client):
    """Both containers get SIGTERM at once; SIGKILL comes for both once
    the shared grace period is over, not one grace period each."""
    grace = 4
    capsule = create(engine.url, capsule_template(
        'ignore', [ignoring('aa'), ignoring('bb')], grace=grace))
    wait_status(engine.url, capsule['uuid'], 'Running')

    since = time.time()
    log = follow(client, capsule['uuid'])
    delete(engine.url, capsule['uuid'])
    wait_gone(engine.url, capsule['uuid'])
    took = time.time() - since
    events = docker_events(log, capsule['uuid'])

    terms = {name: of(events, name, 'kill')[0][0] for name in ('aa', 'bb')}
    kills = {name: of(events, name, 'kill')[-1][0] for name in ('aa', 'bb')}
    print('\ndelete of 2 containers ignoring SIGTERM (grace %d s): %.2f s; '
          'SIGTERM to SIGKILL: aa %.2f s, bb %.2f s; the two SIGTERMs %.3f s '
          'apart' % (grace, took, kills['aa'] - terms['aa'],
                     kills['bb'] - terms['bb'],
                     abs(terms['aa'] - terms['bb'])))
    for name in ('aa', 'bb'):
        assert signals(events, name) == [SIGTERM, SIGKILL]
        assert exit_codes(events, name) == ['137']
        assert kills[name] - terms[name] >= grace - 0.5
    assert max(terms.values()) < min(kills.values())
    assert_sandbox_last(events, ['aa', 'bb'])
    assert leftovers(client, capsule['uuid']) == []


def test_a_second_delete_does_not_reset_the_grace_period(engine, client):
    grace = 6
    capsule = create(engine.url, capsule_template(
        'twice', [ignoring('stubborn')], grace=grace))
    wait_status(engine.url, capsule['uuid'], 'Running')

    log = follow(client, capsule['uuid'])
    delete(engine.url, capsule['uuid'])
    first = engine_support.wait_for(
        lambda: (show(engine.url, capsule['uuid']).json().get(
            'status_reason') or '').startswith('Stopping') and show(
                engine.url, capsule['uuid']).json(),
        timeout=30, what='stop signals sent')
    assert first['status'] == 'Deleting'
    assert 'SIGTERM to stubborn' in first['status_reason']
    time.sleep(grace - 2)
    delete(engine.url, capsule['uuid'])          # 204 again
    again = show(engine.url, capsule['uuid']).json()
    assert (again['status'], again['status_reason']) == (
        'Deleting', first['status_reason'])
    wait_gone(engine.url, capsule['uuid'])
    events = docker_events(log, capsule['uuid'])

    term, kill = of(events, 'stubborn', 'kill')
    print('\nsecond DELETE %d s into a %d s grace period: SIGKILL %.2f s '
          'after SIGTERM' % (grace - 2, grace, kill[0] - term[0]))
    assert signals(events, 'stubborn') == [SIGTERM, SIGKILL]
    # Reset by the second DELETE, the kill would come 2 * grace - 2 s
    # after the SIGTERM.
    assert grace - 0.5 <= kill[0] - term[0] < 2 * grace - 3


def test_a_crash_looping_container_does_not_hold_the_delete(engine,
                                                            client):
    """A container in Docker's restart back-off runs no program: it is
    removed at once, not restarted and waited for; the other container
    still gets its signal."""
    grace = 60
    capsule = create(engine.url, capsule_template(
        'crashloop', [{'name': 'crash', 'image': 'busybox',
                       'command': ['sh', '-c', 'sleep 0.2; exit 1']},
                      flushing('term')],
        grace=grace, volumes=[
            {'name': 'state', 'cinder': {'size': 1, 'autoRemove': True}}]))
    engine_support.wait_for(
        lambda: show(engine.url, capsule['uuid']).json()['status'] ==
        'Restarting', timeout=60, what='crash loop')
    wait_ready(engine.url, {'containers': [
        c for c in capsule['containers'] if c['name'] == 'term']})
    since = time.time()
    log = follow(client, capsule['uuid'])
    delete(engine.url, capsule['uuid'])
    wait_gone(engine.url, capsule['uuid'])
    took = time.time() - since
    events = docker_events(log, capsule['uuid'])
    print('\ndelete of a crash-looping capsule (grace %d s): %.2f s'
          % (grace, took))
    # Restarted by Docker and left without a signal, it would be killed
    # only at the deadline.
    assert took < grace
    # Docker's back-off may restart it between the DELETE and the engine's
    # first step (CI saw that once); from the engine's first act on the
    # capsule (a signal or a removal), it must never start again.
    acted = min(e[0] for e in events if e[1] in ('kill', 'destroy'))
    assert [e for e in of(events, 'crash', 'start') if e[0] >= acted] == []
    assert len(of(events, 'crash', 'destroy')) == 1
    assert signals(events, 'term') == [SIGTERM]
    assert exit_codes(events, 'term') == ['0']
    assert leftovers(client, capsule['uuid']) == []


def test_grace_period_zero_kills_at_once(engine, client):
    capsule = create(engine.url, capsule_template(
        'zero', [flushing('term')], grace=0, volumes=[
            {'name': 'state', 'cinder': {'size': 1, 'autoRemove': True}}]))
    wait_status(engine.url, capsule['uuid'], 'Running')
    wait_ready(engine.url, capsule)
    log = follow(client, capsule['uuid'])
    delete(engine.url, capsule['uuid'])
    wait_gone(engine.url, capsule['uuid'])
    events = docker_events(log, capsule['uuid'])
    assert signals(events, 'term') == [SIGKILL]
    assert exit_codes(events, 'term') == ['137']


def test_the_grace_period_is_each_containers_docker_stop_timeout(
        engine, client):
    """What dockerd waits when it stops the containers itself (a daemon
    restart, docker stop); the engine's default when the template has
    none."""
    given = create(engine.url, capsule_template(
        'given', [ignoring('one'), ignoring('two')], grace=7))
    default = create(engine.url, capsule_template(
        'default', [ignoring('one')]))
    # 7 s: distinct from every default, and short, since the delete below
    # waits it out (its programs ignore SIGTERM).
    for capsule, wanted in ((given, 7), (default, DEFAULT_GRACE)):
        wait_status(engine.url, capsule['uuid'], 'Running')
        for container in client.containers.list(all=True, filters={
                'label': '%s=%s' % (rspec.LABEL_CAPSULE, capsule['uuid'])}):
            role = container.labels[rspec.LABEL_ROLE]
            if role != rspec.ROLE_SANDBOX:
                assert container.attrs['Config']['StopTimeout'] == wanted
    delete(engine.url, given['uuid'])
    delete(engine.url, default['uuid'])
    wait_gone(engine.url, given['uuid'])
    wait_gone(engine.url, default['uuid'])


@pytest.mark.parametrize('grace, expect', [
    (-1, 'less than the minimum of 0'),
    (121, 'maximum of 120 this service allows'),
    ('30', "is not of type 'integer'"),
    (1.5, "is not of type 'integer'"),
])
def test_invalid_grace_periods_are_400s_naming_the_field(engine, grace,
                                                         expect):
    body = create(engine.url, capsule_template('bad', [ignoring('xx')],
                                               grace=grace), expect=400)
    detail = body['errors'][0]['detail']
    assert "'template.spec.terminationGracePeriodSeconds'" in detail
    assert expect in detail


def test_an_engine_killed_during_the_grace_period_finishes_the_delete(
        client):
    """SIGKILL the engine mid-grace, start it again on the same database:
    the delete completes at the same deadline, nothing is signalled twice,
    the flush happened, nothing is left."""
    grace = 8
    engine = engine_support.EngineProcess(grace_period=DEFAULT_GRACE).start()
    try:
        capsule = create(engine.url, capsule_template(
            'crash', [flushing('slow', before='sleep 3'),
                      ignoring('stubborn')],
            grace=grace, volumes=KEPT_VOLUME))
        wait_status(engine.url, capsule['uuid'], 'Running')
        wait_ready(engine.url, {'containers': [
            c for c in capsule['containers'] if c['name'] == 'slow']})
        kept = volume_id(engine.url, capsule['uuid'])

        since = time.time()
        log = follow(client, capsule['uuid'])
        delete(engine.url, capsule['uuid'])
        engine_support.wait_for(
            lambda: (show(engine.url, capsule['uuid']).json().get(
                'status_reason') or '').startswith('Stopping'),
            timeout=30, what='stop signals sent')
        engine.kill(9)
        killed_at = time.time()
        time.sleep(2)
        engine.start()
        wait_gone(engine.url, capsule['uuid'])
        took = time.time() - since
        events = docker_events(log, capsule['uuid'])

        term, kill = of(events, 'stubborn', 'kill')
        print('\nengine SIGKILLed %.2f s into a %d s grace period, back 2 s '
              'later; delete done after %.2f s; SIGKILL %.2f s after '
              'SIGTERM' % (killed_at - term[0], grace, took,
                           kill[0] - term[0]))
        assert signals(events, 'stubborn') == [SIGTERM, SIGKILL]
        assert signals(events, 'slow') == [SIGTERM]
        assert exit_codes(events, 'slow') == ['0']
        assert kill[0] - term[0] >= grace - 0.5
        assert_sandbox_last(events, ['slow', 'stubborn'])
        assert leftovers(client, capsule['uuid']) == []
        assert read_kept_volume(engine.url, kept, 'slow') == {
            'slow': 'term'}
    finally:
        engine.stop()
        engine_support.remove_everything(engine.driver())


def test_a_container_replaced_in_a_restarted_sandbox_is_stopped_gracefully(
        driver, docker_client, new_capsule):
    """The engine's own stop when the sandbox restarted under a running
    app container (restart policy): the old container gets its stop signal
    and the grace period before it is removed and made again."""
    volume = rspec.VolumeSpec(str(uuid.uuid4()), auto_remove=True)
    db = app('db', 'sh', '-c', FLUSH % {
        'what': 'term', 'file': 'marker', 'signal': 'TERM'},
        mounts=(rspec.Mount(volume.uuid, '/data'),))
    capsule = new_capsule([db], volumes=[volume],
                          termination_grace_period=20)
    old = run_capsule(driver, capsule)
    old_id = old[db.uuid].docker_id
    wait_short(lambda: b'ready' in docker_client.api.logs(old_id))
    docker_client.api.restart(old['sandbox'].docker_id, timeout=0)

    log = follow(docker_client, capsule.uuid)
    new = driver.start_container(capsule, db)
    assert new.docker_id != old_id
    events = docker_events(log, capsule.uuid, until=(('die', 'db'),))
    mine = [e for e in events if e[3].get('name', '').endswith('-db')
            and e[1] in ('kill', 'die')]
    assert [(e[1], e[3].get('signal') or e[3].get('exitCode'))
            for e in mine][:2] == [('kill', SIGTERM), ('die', '0')]
    code, output = docker_client.containers.get(new.docker_id).exec_run(
        ['cat', '/data/marker'])
    assert (code, output) == (0, b'term\n')


def test_a_paused_capsule_gets_the_whole_stop_sequence(engine, client):
    """Issue 19's pause meets issue 23's stop sequence: a DELETE of a
    paused capsule runs it (it was once a no-op: only a capsule meant to
    run could be marked), and the frozen program is thawed (by Docker,
    which unpauses a container it signals), acts on SIGTERM, flushes its
    marker and exits 0 instead of waiting out the grace period frozen."""
    capsule = create(engine.url, capsule_template(
        'frozen', [flushing('term')], grace=60, volumes=KEPT_VOLUME))
    wait_status(engine.url, capsule['uuid'], 'Running')
    wait_ready(engine.url, capsule)
    kept = volume_id(engine.url, capsule['uuid'])
    resp = requests.post(engine.url + '/v1/capsules/%s/pause'
                         % capsule['uuid'], headers=HEADERS, timeout=30)
    assert resp.status_code == 202, resp.text
    wait_status(engine.url, capsule['uuid'], 'Paused')

    since = time.time()
    log = follow(client, capsule['uuid'])
    delete(engine.url, capsule['uuid'])
    wait_gone(engine.url, capsule['uuid'])
    events = docker_events(log, capsule['uuid'])

    print('\ngraceful delete of a paused capsule (grace 60 s): %.2f s'
          % (time.time() - since))
    assert of(events, 'term', 'unpause'), events
    assert signals(events, 'term') == [SIGTERM]
    assert exit_codes(events, 'term') == ['0']
    assert read_kept_volume(engine.url, kept, 'term') == {'term': 'term'}
