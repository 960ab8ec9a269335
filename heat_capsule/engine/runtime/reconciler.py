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
from heat_capsule.engine import records
from heat_capsule.engine.runtime import create_path
from heat_capsule.engine.runtime.docker import events as docker_events
from heat_capsule.engine.runtime import freezer
from heat_capsule.engine.runtime import listing
from heat_capsule.engine.runtime import spec as rspec
from heat_capsule.engine.runtime import status as status_rules
from heat_capsule.engine.runtime import stopping
from heat_capsule.engine.runtime import workqueue
from heat_capsule.engine.views import capsule as capsule_view
from heat_capsule import names

LOG = logging.getLogger(__name__)

RETRY_DELAYS = (1, 2, 4, 8, 10)
# Seconds between attempts to reach Docker's event stream again: one cheap
# request each, and every capsule waits for the reconnection to resync.
EVENTS_RETRY_MAX = 2
# Docker 20.10 sends a container's 'die' event before its container list
# (which observe() reads) shows the exit: a sync right after the event can
# still see it running. The capsule is synced again this much later.
DIE_RECHECK_DELAY = 1


class Reconciler(create_path.CreateSteps):
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
        # Containers the create path is starting: their 'start' events
        # queue no sync (create_path.OwnStarts).
        self._own_starts = create_path.OwnStarts()
        # What the resync's one list call showed, per capsule (listing).
        self._listed = listing.ListedStates()
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
            listed_at = self._listed.clock()
            listed = self.driver.list_capsules()
            self._listed.offer(listed_at, dict(
                {capsule_uuid: [] for capsule_uuid in uuids}, **listed))
            uuids |= set(listed)
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
                stream = self.driver.events(actions=docker_events.SYNC_ACTIONS)
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
                    self._listed.touch(capsule_uuid)
                    if action == docker_events.START and \
                            self._own_starts.consume(event.docker_id):
                        continue    # recorded by the create pass itself
                    if getattr(event, 'exit_code', None) is not None and \
                            event.container_uuid:
                        self._exits[event.container_uuid] = event.exit_code
                    if action in docker_events.TIMING_ACTIONS:
                        self._timed.discard(capsule_uuid)
                    if action == docker_events.START:
                        self._addressed.discard(capsule_uuid)
                    elif action == docker_events.DIE:
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
        # Listed by the resync, with nothing touching it since (listing).
        listed = self._listed.take(capsule_uuid)
        gone = False
        capsule = self.db.get_capsule(capsule_uuid)
        try:
            if capsule is None:
                self._remove_leftovers(capsule_uuid)
                gone = True
            elif capsule.desired_state == 'deleted':
                gone = self._tear_down(capsule)
            elif capsule.desired_state == freezer.DESIRED_PAUSED:
                self._observe_paused(capsule, listed)
            elif capsule.status in status_rules.CREATE_IN_PROGRESS:
                self._advance_create(capsule)
            elif status_rules.create_finished(capsule):
                self._observe(capsule, listed)
            # else: a create that failed; it keeps its reason until deleted
            self._retries.pop(capsule_uuid, None)
        except rspec.DockerUnavailable as exc:
            self._wait_for_docker(capsule_uuid, capsule, exc)
        finally:
            # This sync may have changed Docker: a list made since it
            # began is not kept for the capsule (syncs of one capsule
            # never overlap, so nothing else takes it meanwhile).
            if gone:
                self._listed.forget(capsule_uuid)
            else:
                self._listed.touch(capsule_uuid)

    def _wait_for_docker(self, capsule_uuid, capsule, exc):
        """Keep the capsule's intent; say why; try again soon."""
        attempt = self._retries.get(capsule_uuid, 0)
        self._retries[capsule_uuid] = attempt + 1
        if capsule is not None and \
                capsule.status in status_rules.CREATE_IN_PROGRESS and \
                self._create_expired(capsule):
            self._fail(capsule, 'The Docker engine did not answer within '
                       '%ss of the create: %s'
                       % (self.conf.runtime.create_timeout, exc))
            return
        if capsule is not None and capsule.desired_state == 'running' and \
                capsule.status in status_rules.CREATE_IN_PROGRESS:
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
                   if c.uuid not in containers and c.status == names.CREATING]
        if pending:
            try:
                observed = self.driver.observe(capsule.uuid)
            except rspec.CapsuleRuntimeError:
                observed = {}
            for row in pending:
                state = observed.get(row.uuid)
                containers[row.uuid] = status_rules.failed_create_values(
                    state, reason) or status_rules.container_values(state, row)
        self._update(capsule.uuid, containers=containers, status=names.ERROR,
                     status_reason=reason)

    def _remove_leftovers(self, capsule_uuid):
        """Docker objects of a capsule the database does not know."""
        self.driver.remove_capsule(capsule_uuid)

    def _tear_down(self, capsule):
        """Stop signal, grace period, then removal (runtime.stopping);
        whether the capsule is gone now."""
        wait = self._stopper.step(capsule)
        if wait > 0:
            self.queue.submit_later(capsule.uuid, wait)
            return False
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
        return True

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

    def _observe(self, capsule, listed=None):
        """`listed`: the capsule's entries of the resync's list call, or
        None to list them now."""
        rows = {c.uuid: c for c in capsule.containers}
        # Marked first: an event from now on makes the next sync inspect.
        inspect = capsule.uuid not in self._timed
        self._timed.add(capsule.uuid)
        observed = self.driver.observe(capsule.uuid, inspect_all=inspect,
                                       entries=listed)
        if freezer.thaw(self.driver, capsule, observed):
            observed = self.driver.observe(capsule.uuid, inspect_all=inspect)
        if self._repair(capsule, observed):
            observed = self.driver.observe(capsule.uuid, inspect_all=inspect)
        self._record_observed(capsule, rows, observed,
                              addresses=self._readdress(capsule, observed))

    def _observe_paused(self, capsule, listed=None):
        """A paused capsule: freeze what runs, repair nothing, record.

        See runtime/freezer.py: no restart policy, no sandbox repair.
        `listed` as for :meth:`_observe`.
        """
        rows = {c.uuid: c for c in capsule.containers}
        observed = self.driver.observe(capsule.uuid, entries=listed)
        if freezer.freeze(self.driver, capsule, observed):
            observed = self.driver.observe(capsule.uuid)
        self._record_observed(
            capsule, rows, observed, desired=freezer.DESIRED_PAUSED,
            derive=lambda c, r, o: freezer.paused_status(
                c, o, status_rules.derive_status(c, r, o)))

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
        restart policy wants running (:func:`status.restart_wanted`) are
        handed to the driver too: after a daemon restart those are the ones
        Docker tried to start before their sandbox; the driver starts them
        again when they last ran in an earlier run of the sandbox, and leaves
        alone one stopped by hand in the current run (as Docker does).

        A sandbox or container removed out of band is not recreated: that
        is reported. Returns whether Docker may now show something else.
        """
        sandbox = observed.get(rspec.ROLE_SANDBOX)
        if sandbox is None or sandbox.status == names.RESTARTING:
            return False
        sandbox_down = sandbox.status != names.RUNNING
        if sandbox_down:
            LOG.info('Capsule %s: sandbox is %s; starting it again',
                     capsule.uuid, sandbox.status)
            spec = records.to_spec(capsule, self.db.volumes_of(capsule.uuid))
            wanted = [c for c in spec.containers if c.uuid in observed]
        else:
            uuids = {c.uuid for c in capsule.containers
                     if c.role == rspec.ROLE_APP
                     and status_rules.restart_wanted(capsule.restart_policy,
                                                     observed.get(c.uuid))}
            if not uuids:
                return False
            spec = records.to_spec(capsule, self.db.volumes_of(capsule.uuid))
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
        sandbox = observed.get(rspec.ROLE_SANDBOX)
        if capsule.uuid in self._addressed or sandbox is None or \
                sandbox.status != names.RUNNING:
            return None
        # Marked first: a start event from now on makes the next sync read
        # them again.
        self._addressed.add(capsule.uuid)
        found = sandbox.addresses
        if found is None:       # not inspected by this observe
            found = self.driver.addresses(capsule.uuid)
        view = capsule_view.addresses(found)
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
                values = status_rules.container_values(state, row)
                if 'exit_code' not in values and row.uuid in self._exits:
                    values['exit_code'] = self._exits[row.uuid]
            elif row.role == rspec.ROLE_INIT and row.status == names.STOPPED:
                continue
            else:
                values = {'status': status_rules.CONTAINER_DELETED,
                          'status_detail': None,
                          'status_reason': 'The container was removed '
                                           'outside the engine.'}
            if row.uuid in updates or status_rules.changed(row, values):
                updates[row.uuid] = values
        status, reason = (derive or status_rules.derive_status)(
            capsule, rows, observed)
        more = {} if addresses is None else {'addresses': addresses}
        if updates or more or status != capsule.status or \
                reason != capsule.status_reason:
            self._update(capsule.uuid, if_desired=desired,
                         containers=updates, status=status,
                         status_reason=reason, **more)
