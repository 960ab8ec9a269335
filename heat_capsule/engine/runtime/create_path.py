"""A capsule's create: one step per sync (:class:`CreateSteps`, a mixin of
the reconciler), the first of them with Docker's waits overlapped
(:func:`launch`).

A script doing a capsule by hand runs create sandbox, start sandbox, create
container, start container, one after another.  The engine knows the whole
capsule up front, so its first pass (:func:`launch`) does better:

* the first containers to run (every app container, or the first init
  container when there are some) are **created while the sandbox starts**:
  Docker accepts a container with network and IPC mode
  ``container:<sandbox id>`` while that sandbox is created or starting,
  and only refuses to *start* it before the sandbox runs;
* they are **started the moment the sandbox start returns**, side by side,
  and the sandbox is inspected at the same time (its state and addresses:
  one call);
* Running is written as soon as Docker acknowledges the starts, from what
  the engine knows (:func:`docker_state.just_started`), not after an
  inspect of each container;
* the 'start' events of what it started are expected (:class:`OwnStarts`)
  and queue no sync: the pass already recorded what they announce.
  Docker's own timestamps replace the engine's clock at the capsule's
  next sync (the periodic resync at the latest, which inspects a capsule
  whose containers it has not inspected yet); a container that dies
  right after its start is synced at once by its 'die' event, as always;
* round trips that only confirm a known fact (the project network exists,
  an image is present) are answered from :class:`KnownFacts`, a short-lived
  cache of what Docker confirmed; a Docker refusal that shows a fact went
  stale (network or image not found: Docker refuses a missing image at
  create, a missing network only at start) forgets it, and the step is
  done again the ordinary, uncached way.

Nothing here changes what a capsule becomes: the containers are the ones
:meth:`DockerDriver.start_container` would make (same names, labels, host
config), and every pass after the first, a crash recovery included, goes
the ordinary way.  Crash and leak safety: every container made here carries
the capsule's labels, so a delete or the start-up resync finds it; when the
sandbox fails to start, the containers pre-created for it are removed
before the error is raised (the sandbox itself is removed as
:meth:`DockerDriver.ensure_sandbox` would: only for a host port taken).
"""

import collections
import dataclasses
import threading
import time

from docker import errors as docker_errors
from oslo_log import log as logging

from heat_capsule.engine import records
from heat_capsule.engine.runtime.docker import naming
from heat_capsule.engine.runtime.docker import state as docker_state
from heat_capsule.engine.runtime import spec as rspec
from heat_capsule.engine.runtime import status as status_rules
from heat_capsule.engine.views import capsule as capsule_view
from heat_capsule import names

LOG = logging.getLogger(__name__)

# Seconds a fact Docker confirmed (image present, project network) is
# trusted without asking again.  A stale fact costs one refused create
# (then asked again), never a wrong result.
FACT_TTL = 30.0


class KnownFacts:
    """What Docker confirmed lately: images present, project networks.

    Thread-safe. Entries expire after `ttl` seconds and are dropped at once
    by :meth:`forget_image` / :meth:`forget_network` when Docker shows them
    stale, or when the engine itself removes a network.
    """

    def __init__(self, ttl=FACT_TTL, clock=time.monotonic):
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._images = {}       # image reference -> time confirmed
        self._networks = {}     # project id -> (ProjectNetwork, time)

    def _fresh(self, confirmed):
        return self._clock() - confirmed < self.ttl

    def image_present(self, image):
        """True when `image` was confirmed present within the TTL."""
        with self._lock:
            confirmed = self._images.get(image)
            return confirmed is not None and self._fresh(confirmed)

    def remember_image(self, image):
        with self._lock:
            self._images[image] = self._clock()

    def forget_image(self, image):
        with self._lock:
            self._images.pop(image, None)

    def network(self, project_id, ensure):
        """The project's network: remembered, else ``ensure()``'s answer
        (which is then remembered)."""
        with self._lock:
            known = self._networks.get(project_id)
            if known is not None and self._fresh(known[1]):
                return known[0]
        network = ensure()
        with self._lock:
            self._networks[project_id] = (network, self._clock())
        return network

    def forget_network(self, project_id=None):
        """Forget one project's network (None: every network)."""
        with self._lock:
            if project_id is None:
                self._networks.clear()
            else:
                self._networks.pop(project_id, None)


# Seconds an expected 'start' event is waited for.  It normally comes
# within milliseconds; an event stream that was cut meanwhile resyncs
# every capsule anyway.
OWN_START_TTL = 60.0


class OwnStarts:
    """Docker ids of the containers the create path starts, until their
    'start' event is read (thread-safe).

    :meth:`expect` is called before the start request (Docker sends the
    event before it answers); :meth:`consume` by the event watcher: True
    once per expected id.  Ids whose event never came (a start Docker
    refused) expire after `ttl` seconds.
    """

    def __init__(self, ttl=OWN_START_TTL, clock=time.monotonic):
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._expected = collections.OrderedDict()   # docker id -> due

    def expect(self, docker_id):
        now = self._clock()
        with self._lock:
            while self._expected and \
                    next(iter(self._expected.values())) <= now:
                self._expected.popitem(last=False)
            self._expected[docker_id] = now + self.ttl
            self._expected.move_to_end(docker_id)

    def consume(self, docker_id):
        with self._lock:
            due = self._expected.pop(docker_id, None)
        return due is not None and due > self._clock()

    def __len__(self):
        with self._lock:
            return len(self._expected)


@dataclasses.dataclass
class Launched:
    """What :func:`launch` did.

    ``sandbox``: the sandbox's ContainerState; ``started``: {container
    uuid: ContainerState} of the containers it created and started;
    ``complete``: every app container was started (no init containers);
    ``addresses``: the sandbox's spec.Address list, read after its start.
    """
    sandbox: rspec.ContainerState
    started: dict
    complete: bool
    addresses: list


def first_containers(capsule):
    """The containers that run first: the first init container when there
    are init containers (they run one at a time), else every app one."""
    return tuple(capsule.init_containers[:1]) or tuple(capsule.containers)


def launch(driver, capsule, pool, own_starts=None):
    """First pass of a create: sandbox and first containers, overlapped.

    :param driver: the DockerDriver.
    :param capsule: the spec.CapsuleSpec; its images and volumes were made
        present by the caller.
    :param pool: a concurrent.futures executor for the sandbox start and
        the container starts.
    :param own_starts: an :class:`OwnStarts`, told the Docker id of each
        container right before its start is requested (None: nobody
        listens).
    :returns: a :class:`Launched`, or None when the sandbox existed already
        (an earlier, interrupted pass), or when its start showed the
        remembered network gone (then what this call made is removed):
        the ordinary path (ensure_sandbox, start_container) takes over.
    :raises spec.CapsuleRuntimeError: the sandbox could not be created or
        started (the containers pre-created for it are removed first);
        spec.DockerUnavailable: Docker did not answer.
    """
    name = naming.sandbox_name(capsule.uuid)
    with driver._errors('set up sandbox %s' % name), \
            driver.networks.using(capsule.project_id):
        info = _create_sandbox(driver, capsule, name)
        if info is None:
            return None
        sandbox_id = info['Id']
        expect = own_starts.expect if own_starts is not None else \
            (lambda docker_id: None)
        expect(sandbox_id)
        sandbox_start = pool.submit(driver._start_sandbox, capsule, info,
                                    True)
        created = _precreate(driver, capsule, sandbox_id)
        try:
            sandbox_start.result()
        except docker_errors.NotFound as exc:
            # Docker takes a missing network at create and refuses it at
            # start: the remembered network went stale.  Undo, forget it,
            # and let the ordinary path make everything again.
            LOG.info('Sandbox %s did not start (%s); retrying with the '
                     'network looked up again', name, exc)
            _remove_quietly(driver, capsule, created)
            driver._remove_sandbox(
                sandbox_id, driver.networks.name_of(capsule.project_id))
            driver.facts.forget_network(capsule.project_id)
            return None
        except BaseException:
            _remove_quietly(driver, capsule, created)
            raise
        LOG.debug('Started sandbox %s', name)
        starting = _start_all(driver, pool, created, expect)
        sandbox_info = pool.submit(driver._api.inspect_container, sandbox_id)
        started = _started(starting)
        sandbox_info = sandbox_info.result()
        complete = not capsule.init_containers and len(started) == len(
            capsule.containers)
        return Launched(sandbox=docker_state.from_inspect(sandbox_info),
                        started=started, complete=complete,
                        addresses=docker_state.addresses_of(sandbox_info))


def _create_sandbox(driver, capsule, name):
    """Create the sandbox on the (remembered) project network; its fresh
    info, or None when it exists already."""
    network = driver.facts.network(
        capsule.project_id,
        lambda: driver.networks.ensure(capsule.project_id))
    try:
        info = driver._create_sandbox(capsule, name, network)
    except docker_errors.NotFound:
        # The remembered network (or the sandbox image) is gone: ask again.
        driver.facts.forget_network(capsule.project_id)
        driver.facts.forget_image(driver.sandbox_image)
        network = driver.facts.network(
            capsule.project_id,
            lambda: driver.networks.ensure(capsule.project_id))
        info = driver._create_sandbox(capsule, name, network)
    if not _just_made(info):
        return None
    return info


def _just_made(info):
    """Whether `info` is the driver's answer for a container just made
    (not an existing one found after a name conflict)."""
    return set(info) == {'Id', 'State'}


def _precreate(driver, capsule, sandbox_id):
    """Create the first containers, joined to the (starting) sandbox:
    [(ContainerSpec, docker id)].  A refusal is left to the ordinary path,
    which makes the container again and reports Docker's reason."""
    created = []
    for container in first_containers(capsule):
        name = naming.container_name(capsule.uuid, container.name)
        try:
            info = driver._create_container(capsule, container, name,
                                            sandbox_id)
        except rspec.DockerUnavailable:
            raise
        except (rspec.CapsuleRuntimeError, docker_errors.APIError) as exc:
            LOG.debug('Pre-creating %s failed (%s); the ordinary path '
                      'retries it', name, exc)
            continue
        if _just_made(info):
            created.append((container, info['Id']))
    return created


def _start_all(driver, pool, created, expect):
    """Start the pre-created containers side by side: {uuid: future of its
    ContainerState}, as Docker's acknowledged start shows it
    (:func:`docker_state.just_started`: no inspect on the way to Running);
    `expect(docker id)` is called before each start request."""
    def start(container, docker_id):
        expect(docker_id)
        driver._api.start(docker_id)
        return docker_state.just_started(container, docker_id)

    return {container.uuid: pool.submit(start, container, docker_id)
            for container, docker_id in created}


def _started(pending):
    """{uuid: ContainerState} of the containers Docker started (one it
    refused is left to the ordinary path, which reports why)."""
    started = {}
    for uuid, future in pending.items():
        try:
            started[uuid] = future.result()
        except docker_errors.APIError as exc:
            LOG.debug('Starting container %s failed (%s); the ordinary '
                      'path retries it', uuid, exc)
    return started


def _remove_quietly(driver, capsule, created):
    """Remove pre-created containers after the sandbox failed to start."""
    for container, docker_id in created:
        try:
            driver._remove_container(docker_id)
        except Exception as exc:   # noqa: the capsule's delete removes it
            LOG.warning('Could not remove container %s of capsule %s after '
                        'its sandbox failed to start: %s', container.name,
                        capsule.uuid, exc)
    if created:
        LOG.info('Removed %d pre-created container(s) of capsule %s: its '
                 'sandbox did not start', len(created), capsule.uuid)


class CreateSteps:
    """The create, one step per sync, as a mixin of ``Reconciler``.

    Each call of ``_advance_create`` takes a Creating or Created capsule one
    step further and never blocks: volumes and images once, the first pass
    (:func:`launch`), the init containers one at a time (the 'die' event of
    the one running brings the capsule back), then the app containers side
    by side. Uses the reconciler's ``conf``, ``db``, ``driver``,
    ``_starter``, ``_fail``, ``_update``, ``_create_expired`` and
    ``_record_observed``.
    """

    def _advance_create(self, capsule):
        """One step further towards a running capsule; never blocks.

        Init containers run one at a time: when one is still running the
        sync returns and the container's 'die' event brings it back.
        """
        if self._create_expired(capsule):
            self._fail(capsule, 'The capsule did not finish creating within '
                       '%ss.' % self.conf.runtime.create_timeout)
            return
        spec = records.to_spec(capsule, self.db.volumes_of(capsule.uuid))
        launched = None
        try:
            if capsule.status == names.CREATING:
                # Once per create: with imagePullPolicy Always each call
                # pulls. Later passes (after a crash, say) rely on
                # start_container, which makes missing images and volumes.
                for volume in spec.volumes:
                    self.driver.ensure_volume(volume, capsule.uuid)
                for container in spec.init_containers + spec.containers:
                    self.driver.ensure_image(container)
                # The first pass overlaps Docker's waits (launch
                # above); None: the sandbox existed, go the usual way.
                launched = launch(self.driver, spec, self._starter,
                                  self._own_starts)
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
                capsule, rows,
                dict(launched.started, **{rspec.ROLE_SANDBOX: sandbox}),
                addresses=capsule_view.addresses(launched.addresses))
            return
        if capsule.status == names.CREATING:
            addresses = launched.addresses if launched else \
                self.driver.addresses(capsule.uuid)
            self._update(
                capsule.uuid, status=names.CREATED, status_reason=None,
                addresses=capsule_view.addresses(addresses))
        observed = self.driver.observe(capsule.uuid)
        updates = {}
        # Init containers started in this pass: not in `observed`, which
        # predates them, but what the capsule's record must show.
        init_states = {}
        for init in spec.init_containers:
            state = observed.get(init.uuid)
            if status_rules.needs_start(state):
                state = self._start(capsule, spec, init)
                if state is None:
                    return
            init_states[init.uuid] = state
            updates[init.uuid] = status_rules.container_values(state, init)
            if state.status in (names.STOPPED, names.DEAD):
                if state.exit_code not in (0, None) or \
                        state.status == names.DEAD:
                    self._fail(capsule, self._init_failure(
                        capsule, init, state), containers=updates)
                    return
                continue
            # Still running: its 'die' event brings the capsule back.
            self._update(capsule.uuid, containers=updates)
            return
        missing = [app for app in spec.containers
                   if status_rules.needs_start(observed.get(app.uuid))]
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
