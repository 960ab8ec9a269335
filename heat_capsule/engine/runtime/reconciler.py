"""The reconciler: desired state in the database, actual state in Docker.

Everything goes through ``sync(capsule_uuid)``, one function per capsule in
the spirit of kubelet's pod sync: an API create or delete, a Docker event
about a labelled container, the periodic tick and the start-up scan all just
queue the capsule. The same code therefore creates a capsule the first
time, finishes a create that a crash interrupted, tears down a capsule being
deleted, removes what Docker holds for capsules the database no longer
knows, and keeps statuses true after creation.

Docker objects carry labels pointing back to their capsule, so ownership is
read from Docker, never remembered in memory.

Restarts of the Docker daemon (or of a sandbox)
    Stopping dockerd stops every container: the sandbox at once (SIGKILL),
    the app containers on their stop signal, then SIGKILL after 10 s (exit
    code 137, or 143 for a program that handles SIGTERM).  When dockerd
    comes back it restarts, before it answers its API, the sandboxes
    (``unless-stopped``) and the app containers whose Docker restart policy
    says so (``always``; ``on-failure`` after a non-zero exit), all at the
    same time: an app container started before its sandbox fails ("cannot
    join network of a non running container") and stays exited.  The
    engine makes this converge to one outcome, whatever won the races:
    each app container is treated as if it had exited on its own with the
    exit code Docker recorded -- Always: started again; OnFailure: started
    again after a non-zero exit, left stopped after a clean exit 0; Never:
    left stopped (the capsule then reports it, with the exit codes).  The
    sandbox is always brought back first.  A container restarted this way
    is the same Docker container (a plain start joins the sandbox's new
    namespaces; see DockerDriver.start_container), so it makes no
    difference whether Docker or the engine started it.  The event watcher
    reconnects on its own and queues every capsule; the sandbox's address
    usually changes with a daemon restart, so addresses are read again
    after every (re)connection to Docker and after a container start; the
    driver looks the project network up again whenever it creates or
    starts a sandbox (it may have been removed and made again meanwhile).

Project networks (runtime.networks)
    The driver makes a project's network with its first sandbox; the
    reconciler removes it after the project's last capsule is deleted and,
    on each resync, any network of a project without capsules (a crash
    between the two) and the emptied shared network of earlier versions.
"""

from concurrent import futures
import datetime
import threading
import time

from oslo_log import log as logging

from heat_capsule.engine.db import models
from heat_capsule.engine.runtime import create_path
from heat_capsule.engine.runtime import freezer
from heat_capsule.engine.runtime import spec as rspec
from heat_capsule.engine.runtime import stopping
from heat_capsule.engine.runtime import status as status_rules
from heat_capsule.engine.runtime import workqueue

LOG = logging.getLogger(__name__)

CREATING = ('Creating', 'Created')
# Docker container events that can change what a capsule looks like.
EVENT_ACTIONS = ('start', 'die', 'destroy', 'oom', 'pause', 'unpause',
                 'restart', 'health_status')
RETRY_DELAYS = (1, 2, 4, 8, 10)
# Seconds between attempts to reach Docker's event stream again: one cheap
# request each, and every capsule waits for the reconnection to resync.
EVENTS_RETRY_MAX = 2
# Docker 20.10 sends a container's 'die' event before its container list
# (which observe() reads) shows the exit: a sync right after the event can
# still see it running. The capsule is synced again this much later.
DIE_RECHECK_DELAY = 1


def to_spec(capsule, volumes):
    """The CapsuleSpec the driver needs, from the capsule's rows."""
    def container_spec(row):
        return rspec.ContainerSpec(
            uuid=row.uuid, name=row.name, image=row.image,
            role=rspec.ROLE_INIT if row.role == 'init' else rspec.ROLE_APP,
            command=tuple(row.command or ()),
            environment=tuple(sorted((row.environment or {}).items())),
            workdir=row.workdir,
            ports=tuple(rspec.Port(p['containerPort'],
                                   p.get('protocol', 'TCP').lower(),
                                   p.get('hostPort'))
                        for p in row.ports or ()),
            cpu=row.cpu, memory=row.memory, tty=row.tty,
            stdin=row.interactive,
            mounts=tuple(rspec.Mount(m['volume_uuid'], m['path'],
                                     bool(m.get('read_only')))
                         for m in row.mounts or ()),
            image_pull_policy=row.image_pull_policy,
            healthcheck=(rspec.Healthcheck(**row.healthcheck)
                         if row.healthcheck else None))

    return rspec.CapsuleSpec(
        uuid=capsule.uuid, project_id=capsule.project_id,
        restart_policy=capsule.restart_policy,
        containers=tuple(container_spec(c) for c in capsule.containers
                         if c.role == 'app'),
        init_containers=tuple(container_spec(c) for c in capsule.containers
                              if c.role == 'init'),
        volumes=tuple(rspec.VolumeSpec(v.uuid, v.auto_remove, v.size)
                      for v in volumes),
        hostname=capsule.hostname,
        termination_grace_period=capsule.termination_grace_period)


# Docker events after which a capsule's containers are inspected again for
# their timestamps, restart count and OOM kill (see Reconciler._timed).
TIMING_ACTIONS = ('start', 'die', 'restart', 'oom')


def _container_values(state, row):
    """The columns of container ``row`` (or spec) Docker's ``state`` sets.

    What only inspect tells (timestamps, restart count, OOM kill) is left
    out for a state read from Docker's container list, and an exit code
    only comes with an exit: the recorded values are kept.
    """
    values = {'status': state.status, 'status_detail': state.status_detail,
              'exit_code': state.exit_code,
              'status_reason': status_rules.container_reason(
                  row.name, state, row.memory),
              'health_status': state.health,
              'health_output': state.health_output}
    if state.exit_code is None:
        del values['exit_code']     # the latest exit's code is kept
    if state.restart_count is not None:
        values.update(started_at=state.started_at,
                      finished_at=state.finished_at,
                      restart_count=state.restart_count,
                      oom_killed=state.oom_killed)
    return values


def restart_wanted(restart_policy, state):
    """Whether an app container that has stopped must be started again.

    The capsule's restart policy applied to the exit code Docker recorded,
    as if the container had exited on its own: Always -> yes; OnFailure ->
    after a non-zero exit only; Never -> no.  A container that is not
    stopped (running, restarting, created, dead, missing) is not concerned.
    """
    if state is None or state.status != 'Stopped':
        return False
    return rspec.restarts(restart_policy, state.exit_code)


def _changed(row, values):
    """Whether an observation says something new about a container.

    status_detail ("Up 5 seconds") changes with the clock alone; it is
    refreshed along with real changes, never written for its own sake, so
    a quiet capsule costs no database write per sync.
    """
    return any(getattr(row, key) != value for key, value in values.items()
               if key != 'status_detail')


class Reconciler:
    def __init__(self, conf, db, driver):
        self.conf = conf
        self.db = db
        self.driver = driver
        self.queue = workqueue.KeyedQueue()
        self._stop = threading.Event()
        self._threads = []
        # Capsules whose addresses were read since Docker last (re)connected
        # and since their last container start (a sandbox start may change
        # them).
        self._addressed = set()
        # Capsules whose containers were inspected (timestamps, restart
        # counts, OOM kills) since Docker last (re)connected and since
        # their last start/die/restart/oom event; the others are inspected
        # at their next sync. A quiet capsule costs one list call per sync.
        self._timed = set()
        # {container uuid: exit code of its latest 'die' event}: the exit
        # code of a container restarted before a sync could see it exited.
        self._exits = {}
        self._retries = {}
        self._starter = futures.ThreadPoolExecutor(
            max_workers=2 * conf.runtime.sync_workers,
            thread_name_prefix='container-start')
        self._stopper = stopping.Stopper(conf, db, driver, self._starter)

    # Lifecycle ---------------------------------------------------------

    def start(self):
        for index in range(self.conf.runtime.sync_workers):
            self._spawn(self._work, 'capsule-sync-%d' % index)
        self._spawn(self._tick, 'resync-tick')
        # Not waited for at stop: it sits in Docker's event stream and
        # changes nothing in Docker itself.
        self._spawn(self._watch_events, 'docker-events', joined=False)

    def _spawn(self, target, name, joined=True):
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        if joined:
            self._threads.append(thread)

    def stop(self, timeout=None):
        """Stop syncing; wait for the syncs in flight to finish.

        A sync is one step of a capsule's life (part of a create, a start,
        a delete) and makes Docker objects before the database shows them;
        one cut short by the process exiting, or still running after an
        in-process engine was stopped, leaves a capsule that no engine
        owns. No new sync starts after this call; those in flight get
        ``timeout`` seconds (default ``[runtime] shutdown_timeout``) to end.

        :returns: the uuids (sorted list) of the capsules whose sync was
            still running when the time ran out; the next start of an
            engine with this instance name finishes them.
        """
        if timeout is None:
            timeout = self.conf.runtime.shutdown_timeout
        self._stop.set()
        self.queue.close()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = sorted(self.queue.active())
        if busy:
            LOG.warning('Stopping with the sync of %d capsule(s) still '
                        'running after %ss: %s', len(busy), timeout,
                        ', '.join(busy))
        self._starter.shutdown(wait=not busy, cancel_futures=True)
        return busy

    def submit(self, capsule_uuid):
        self.queue.submit(capsule_uuid)

    def submit_all(self):
        """Queue every capsule the database or Docker knows about."""
        uuids = set(self.db.capsules_to_sync())
        try:
            uuids |= self.driver.list_capsule_uuids()
            self._collect_orphan_volumes()
            self._collect_networks()
        except rspec.DockerUnavailable as exc:
            LOG.warning('Docker is unavailable for the resync: %s', exc)
        for capsule_uuid in uuids:
            self.queue.submit(capsule_uuid)

    def _work(self):
        while True:
            capsule_uuid = self.queue.get()
            if capsule_uuid is None:
                return
            try:
                self.sync(capsule_uuid)
            except Exception:  # noqa: one capsule must not stop the loop
                LOG.exception('Sync of capsule %s failed', capsule_uuid)
                self.queue.submit_later(capsule_uuid, RETRY_DELAYS[-1])
            finally:
                self.queue.done(capsule_uuid)

    def _tick(self):
        self.submit_all()
        while not self._stop.wait(self.conf.runtime.resync_interval):
            self.submit_all()

    def _watch_events(self):
        """Queue capsules as Docker reports on their containers.

        When the stream breaks (Docker stopped or restarted), reconnect with
        a growing delay and resync everything once it is back.
        """
        delay = 0
        while not self._stop.is_set():
            try:
                stream = self.driver.events(actions=EVENT_ACTIONS)
                # Docker may have restarted meanwhile: sandboxes got new
                # addresses.
                self._addressed.clear()
                self._timed.clear()
                if delay:
                    LOG.info('Docker is back; resyncing every capsule')
                    self.submit_all()
                delay = 0
                for event in stream:
                    capsule_uuid, action = event
                    if self._stop.is_set():
                        return
                    if getattr(event, 'exit_code', None) is not None and \
                            event.container_uuid:
                        self._exits[event.container_uuid] = event.exit_code
                    if action in TIMING_ACTIONS:
                        self._timed.discard(capsule_uuid)
                    if action == 'start':
                        self._addressed.discard(capsule_uuid)
                    elif action == 'die':
                        self.queue.submit_later(capsule_uuid,
                                                DIE_RECHECK_DELAY)
                    self.queue.submit(capsule_uuid)
            except rspec.DockerUnavailable as exc:
                delay = min(max(delay * 2, 1), EVENTS_RETRY_MAX)
                LOG.warning('Docker events unavailable (%s); retrying in '
                            '%ss', exc, delay)
            except Exception:  # noqa: keep watching whatever happens
                delay = min(max(delay * 2, 1), EVENTS_RETRY_MAX)
                LOG.exception('Docker event stream failed')
            self._stop.wait(delay or 1)

    # The sync ----------------------------------------------------------

    def sync(self, capsule_uuid):
        capsule = self.db.get_capsule(capsule_uuid)
        try:
            if capsule is None:
                self._remove_leftovers(capsule_uuid)
            elif capsule.desired_state == 'deleted':
                self._tear_down(capsule)
            elif capsule.desired_state == freezer.DESIRED_PAUSED:
                self._observe_paused(capsule)
            elif capsule.status in CREATING:
                self._advance_create(capsule)
            elif _create_finished(capsule):
                self._observe(capsule)
            # else: a create that failed; it keeps its reason until deleted
            self._retries.pop(capsule_uuid, None)
        except rspec.DockerUnavailable as exc:
            self._wait_for_docker(capsule_uuid, capsule, exc)

    def _wait_for_docker(self, capsule_uuid, capsule, exc):
        """Keep the capsule's intent; say why; try again soon."""
        attempt = self._retries.get(capsule_uuid, 0)
        self._retries[capsule_uuid] = attempt + 1
        if capsule is not None and capsule.status in CREATING and \
                self._create_expired(capsule):
            self._fail(capsule, 'The Docker engine did not answer within '
                       '%ss of the create: %s'
                       % (self.conf.runtime.create_timeout, exc))
            return
        if capsule is not None and capsule.desired_state == 'running' and \
                capsule.status in CREATING:
            reason = 'Waiting for the Docker engine: %s' % exc
            if capsule.status_reason != reason:
                self._update(capsule.uuid, status_reason=reason)
        delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
        self.queue.submit_later(capsule_uuid, delay)

    def _update(self, capsule_uuid, if_desired=freezer.DESIRED_RUNNING,
                **values):
        """Record an observation unless the capsule is being deleted
        (or was paused or unpaused meanwhile)."""
        return self.db.update_capsule(capsule_uuid, if_desired=if_desired,
                                      **values)

    def _create_expired(self, capsule):
        age = models.utcnow() - capsule.created_at
        return age > datetime.timedelta(
            seconds=self.conf.runtime.create_timeout)

    def _fail(self, capsule, reason, containers=None):
        """Put a capsule in Error; no container of it stays Creating."""
        LOG.info('Capsule %s is in Error: %s', capsule.uuid, reason)
        containers = dict(containers or {})
        pending = [c for c in capsule.containers
                   if c.uuid not in containers and c.status == 'Creating']
        if pending:
            try:
                observed = self.driver.observe(capsule.uuid)
            except rspec.CapsuleRuntimeError:
                observed = {}
            for row in pending:
                state = observed.get(row.uuid)
                containers[row.uuid] = status_rules.failed_create_values(
                    state, reason) or _container_values(state, row)
        self._update(capsule.uuid, containers=containers, status='Error',
                     status_reason=reason)

    def _remove_leftovers(self, capsule_uuid):
        """Docker objects of a capsule the database does not know."""
        self.driver.remove_capsule(capsule_uuid)

    def _tear_down(self, capsule):
        """Stop signal, grace period, then removal (runtime.stopping)."""
        wait = self._stopper.step(capsule)
        if wait > 0:
            self.queue.submit_later(capsule.uuid, wait)
            return
        for container in capsule.containers:
            self._exits.pop(container.uuid, None)
        self.driver.remove_capsule(capsule.uuid)
        for volume in self.db.volumes_of(capsule.uuid):
            if volume.auto_remove:
                self.driver.remove_volume(volume.uuid)
        self.db.purge_capsule(capsule.uuid)
        LOG.info('Capsule %s deleted', capsule.uuid)
        project_id = capsule.project_id
        self.driver.release_network(
            project_id, lambda: self.db.project_has_capsules(project_id))

    def _collect_orphan_volumes(self):
        """Remove labelled Docker volumes the database has no row for.

        Rows are written before Docker volumes exist and deleted after
        they are removed, so a volume without a row was left by a crash
        during a delete, or by ``DELETE /v1/volumes/{uuid}`` while Docker
        did not answer (that call deletes the row first).
        """
        known = self.db.volume_uuids()
        for volume_uuid in self.driver.list_volumes():
            if volume_uuid not in known:
                LOG.info('Removing orphan volume %s', volume_uuid)
                try:
                    self.driver.remove_volume(volume_uuid)
                except rspec.DockerUnavailable:
                    raise
                except rspec.CapsuleRuntimeError as exc:  # still in use
                    LOG.warning('Orphan volume %s stays for now: %s',
                                volume_uuid, exc)

    def _collect_networks(self):
        """Remove networks of projects without capsules (a crash between a
        delete and its network's removal) and the emptied shared one."""
        try:
            self.driver.collect_networks(self.db.project_has_capsules)
        except rspec.DockerUnavailable:
            raise
        except rspec.CapsuleRuntimeError as exc:
            LOG.warning('Collecting unused networks failed: %s', exc)

    def _advance_create(self, capsule):
        """One step further towards a running capsule; never blocks.

        Init containers run one at a time: when one is still running the
        sync returns and the container's 'die' event brings it back.
        """
        if self._create_expired(capsule):
            self._fail(capsule, 'The capsule did not finish creating within '
                       '%ss.' % self.conf.runtime.create_timeout)
            return
        spec = to_spec(capsule, self.db.volumes_of(capsule.uuid))
        launched = None
        try:
            if capsule.status == 'Creating':
                # Once per create: with imagePullPolicy Always each call
                # pulls. Later passes (after a crash, say) rely on
                # start_container, which makes missing images and volumes.
                for volume in spec.volumes:
                    self.driver.ensure_volume(volume, capsule.uuid)
                for container in spec.init_containers + spec.containers:
                    self.driver.ensure_image(container)
                # The first pass overlaps Docker's waits (runtime.
                # create_path); None: the sandbox existed, go the usual way.
                launched = create_path.launch(self.driver, spec,
                                              self._starter)
            sandbox = launched.sandbox if launched else \
                self.driver.ensure_sandbox(spec)
        except rspec.DockerUnavailable:
            raise
        except rspec.CapsuleRuntimeError as exc:
            self._fail(capsule, str(exc))
            return
        rows = {c.uuid: c for c in capsule.containers}
        if launched and launched.complete:
            # Every app container runs: Running is written at once.
            self._record_observed(
                capsule, rows, dict(launched.started, sandbox=sandbox),
                addresses=_addresses_view(launched.addresses))
            return
        if capsule.status == 'Creating':
            addresses = launched.addresses if launched else \
                self.driver.addresses(capsule.uuid)
            self._update(
                capsule.uuid, status='Created', status_reason=None,
                addresses=_addresses_view(addresses))
        observed = self.driver.observe(capsule.uuid)
        updates = {}
        # Init containers started in this pass: not in `observed`, which
        # predates them, but what the capsule's record must show.
        init_states = {}
        for init in spec.init_containers:
            state = observed.get(init.uuid)
            if _needs_start(state):
                state = self._start(capsule, spec, init)
                if state is None:
                    return
            init_states[init.uuid] = state
            updates[init.uuid] = _container_values(state, init)
            if state.status in ('Stopped', 'Dead'):
                if state.exit_code not in (0, None) or \
                        state.status == 'Dead':
                    self._fail(capsule, self._init_failure(
                        capsule, init, state), containers=updates)
                    return
                continue
            # Still running: its 'die' event brings the capsule back.
            self._update(capsule.uuid, containers=updates)
            return
        missing = [app for app in spec.containers
                   if _needs_start(observed.get(app.uuid))]
        try:
            started = self._start_together(spec, missing)
        except rspec.DockerUnavailable:
            raise
        except rspec.CapsuleRuntimeError as exc:
            self._fail(capsule, str(exc))
            return
        observed = dict(observed, sandbox=sandbox, **init_states, **started)
        self._record_observed(capsule, rows, observed, extra=updates)

    def _start(self, capsule, spec, container):
        try:
            return self.driver.start_container(spec, container)
        except rspec.DockerUnavailable:
            raise
        except rspec.CapsuleRuntimeError as exc:
            self._fail(capsule, 'Container %s could not start: %s'
                       % (container.name, exc))
            return None

    def _start_together(self, spec, containers):
        """Start app containers side by side: {uuid: ContainerState}.

        App containers do not wait for one another (only init containers
        are ordered), and Docker spends most of a start setting up
        namespaces and cgroups, so doing them at once saves real time for
        capsules of several containers.
        """
        def start(container):
            try:
                return self.driver.start_container(spec, container)
            except rspec.DockerUnavailable:
                raise
            except rspec.CapsuleRuntimeError as exc:
                raise rspec.CapsuleRuntimeError(
                    'Container %s could not start: %s' % (container.name,
                                                          exc))
        if len(containers) == 1:
            return {containers[0].uuid: start(containers[0])}
        pending = {c.uuid: self._starter.submit(start, c)
                   for c in containers}
        return {uuid: future.result() for uuid, future in pending.items()}

    def _init_failure(self, capsule, init, state):
        try:
            logs = self.driver.logs_tail(
                capsule.uuid, init.uuid, self.conf.runtime.log_tail_lines)
        except rspec.CapsuleRuntimeError:
            logs = ''
        reason = status_rules.exit_text(
            'Init container %s' % init.name, state.exit_code,
            state.oom_killed, init.memory)
        if state.error:
            reason += ' (%s)' % state.error
        logs = logs.strip()
        return reason + ('; last log lines:\n%s' % logs if logs else
                         '; it printed nothing.')

    def _observe(self, capsule):
        rows = {c.uuid: c for c in capsule.containers}
        # Marked first: an event from now on makes the next sync inspect.
        inspect = capsule.uuid not in self._timed
        self._timed.add(capsule.uuid)
        observed = self.driver.observe(capsule.uuid, inspect_all=inspect)
        if freezer.thaw(self.driver, capsule, observed):
            observed = self.driver.observe(capsule.uuid, inspect_all=inspect)
        if self._repair(capsule, observed):
            observed = self.driver.observe(capsule.uuid, inspect_all=inspect)
        self._record_observed(capsule, rows, observed,
                              addresses=self._readdress(capsule, observed))

    def _observe_paused(self, capsule):
        """A paused capsule: freeze what runs, repair nothing, record.

        See runtime/freezer.py: no restart policy, no sandbox repair.
        """
        rows = {c.uuid: c for c in capsule.containers}
        observed = self.driver.observe(capsule.uuid)
        if freezer.freeze(self.driver, capsule, observed):
            observed = self.driver.observe(capsule.uuid)
        self._record_observed(
            capsule, rows, observed, desired=freezer.DESIRED_PAUSED,
            derive=lambda c, r, o: freezer.paused_status(
                c, o, derive_status(c, r, o)))

    def _repair(self, capsule, observed):
        """Bring a stopped sandbox back, and the containers that need it.

        A sandbox that stopped (by hand, or a Docker restart that did not
        bring it back) took the capsule's network namespace with it: it is
        started again, and the driver deals with each app container
        (DockerDriver.start_container): one that kept running in the old
        namespace is replaced in the new one; one that exited is started
        again if the restart policy says so for its exit code. As kubelet
        does for a pod sandbox.

        With the sandbox running, app containers that stopped and that the
        restart policy wants running (:func:`restart_wanted`) are handed to
        the driver too: after a daemon restart those are the ones Docker
        tried to start before their sandbox; the driver starts them again
        when they last ran in an earlier run of the sandbox, and leaves
        alone one stopped by hand in the current run (as Docker does).

        A sandbox or container removed out of band is not recreated: that
        is reported. Returns whether Docker may now show something else.
        """
        sandbox = observed.get('sandbox')
        if sandbox is None or sandbox.status == 'Restarting':
            return False
        sandbox_down = sandbox.status != 'Running'
        if sandbox_down:
            LOG.info('Capsule %s: sandbox is %s; starting it again',
                     capsule.uuid, sandbox.status)
            spec = to_spec(capsule, self.db.volumes_of(capsule.uuid))
            wanted = [c for c in spec.containers if c.uuid in observed]
        else:
            uuids = {c.uuid for c in capsule.containers if c.role == 'app'
                     and restart_wanted(capsule.restart_policy,
                                        observed.get(c.uuid))}
            if not uuids:
                return False
            spec = to_spec(capsule, self.db.volumes_of(capsule.uuid))
            wanted = [c for c in spec.containers if c.uuid in uuids]
        try:
            if sandbox_down:
                self.driver.ensure_sandbox(spec)
                self._addressed.discard(capsule.uuid)
            started = self._start_together(spec, wanted) if wanted else {}
        except rspec.DockerUnavailable:
            raise
        except rspec.CapsuleRuntimeError as exc:
            LOG.warning('Capsule %s could not be repaired: %s',
                        capsule.uuid, exc)
            return True
        return sandbox_down or any(
            (state.docker_id, state.status) != (
                observed[uuid].docker_id, observed[uuid].status)
            for uuid, state in started.items())

    def _readdress(self, capsule, observed):
        """The capsule's addresses view if Docker's differs from the
        database's, else None; read once per Docker connection and after
        a container start (see ``_addressed``)."""
        sandbox = observed.get('sandbox')
        if capsule.uuid in self._addressed or sandbox is None or \
                sandbox.status != 'Running':
            return None
        # Marked first: a start event from now on makes the next sync read
        # them again.
        self._addressed.add(capsule.uuid)
        view = _addresses_view(self.driver.addresses(capsule.uuid))
        if view == (capsule.addresses or {}):
            return None
        LOG.info('Capsule %s: addresses changed in Docker: %s',
                 capsule.uuid, view)
        return view

    def _record_observed(self, capsule, rows, observed, extra=None,
                         addresses=None, desired=freezer.DESIRED_RUNNING,
                         derive=None):
        """Write what Docker shows; derive the capsule status from it.

        `addresses`: a new addresses view to record (None: unchanged).
        `desired`: the desired state the write is conditional on;
        `derive`: the status function (default :func:`derive_status`).
        """
        updates = dict(extra or {})
        for row in rows.values():
            state = observed.get(row.uuid)
            if state is not None:
                values = _container_values(state, row)
                if 'exit_code' not in values and row.uuid in self._exits:
                    values['exit_code'] = self._exits[row.uuid]
            elif row.role == 'init' and row.status == 'Stopped':
                continue
            else:
                values = {'status': 'Deleted', 'status_detail': None,
                          'status_reason': 'The container was removed '
                                           'outside the engine.'}
            if row.uuid in updates or _changed(row, values):
                updates[row.uuid] = values
        status, reason = (derive or derive_status)(capsule, rows, observed)
        more = {} if addresses is None else {'addresses': addresses}
        if updates or more or status != capsule.status or \
                reason != capsule.status_reason:
            self._update(capsule.uuid, if_desired=desired,
                         containers=updates, status=status,
                         status_reason=reason, **more)


def _needs_start(state):
    """Missing, or created but never started (a crash between the two)."""
    return state is None or state.status == 'Created'


def _create_finished(capsule):
    """Whether every app container was started (else the create failed:
    those left show Error, see Reconciler._fail)."""
    return not any(c.role == 'app' and c.status in (
        'Creating', status_rules.CONTAINER_ERROR) for c in capsule.containers)


# The capsule status rule (kept under this name for its callers).
derive_status = status_rules.derive_status


def _addresses_view(addresses):
    """Zun's addresses: {network id: [{addr, version, port, subnet_id,
    preserve_on_delete}]}."""
    view = {}
    for address in addresses:
        view.setdefault(address.network_id, []).append({
            'addr': address.addr, 'version': address.version,
            'port': address.port, 'subnet_id': address.subnet_id,
            'preserve_on_delete': False})
    return view
