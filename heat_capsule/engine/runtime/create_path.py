"""The first pass of a capsule create, with Docker's waits overlapped.

A script doing a capsule by hand runs create sandbox, start sandbox, create
container, start container, one after another.  The engine knows the whole
capsule up front, so its first pass (:func:`launch`) does better:

* the first containers to run (every app container, or the first init
  container when there are some) are **created while the sandbox starts**:
  Docker accepts a container with network and IPC mode
  ``container:<sandbox id>`` while that sandbox is created or starting,
  and only refuses to *start* it before the sandbox runs;
* they are **started the moment the sandbox start returns**, side by side,
  and the sandbox's addresses are read at the same time;
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

import dataclasses
import threading
import time

from docker import errors as docker_errors
from oslo_log import log as logging

from heat_capsule.engine.runtime import spec as rspec

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


def launch(driver, capsule, pool):
    """First pass of a create: sandbox and first containers, overlapped.

    :param driver: the DockerDriver.
    :param capsule: the spec.CapsuleSpec; its images and volumes were made
        present by the caller.
    :param pool: a concurrent.futures executor for the sandbox start and
        the container starts.
    :returns: a :class:`Launched`, or None when the sandbox existed already
        (an earlier, interrupted pass), or when its start showed the
        remembered network gone (then what this call made is removed):
        the ordinary path (ensure_sandbox, start_container) takes over.
    :raises spec.CapsuleRuntimeError: the sandbox could not be created or
        started (the containers pre-created for it are removed first);
        spec.DockerUnavailable: Docker did not answer.
    """
    # Imported here: the driver module imports this one.
    from heat_capsule.engine.runtime import docker_driver

    name = docker_driver.sandbox_name(capsule.uuid)
    with driver._errors('set up sandbox %s' % name), \
            driver.networks.using(capsule.project_id):
        info = _create_sandbox(driver, capsule, name)
        if info is None:
            return None
        sandbox_id = info['Id']
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
            driver._remove_container(sandbox_id)
            driver.facts.forget_network(capsule.project_id)
            return None
        except BaseException:
            _remove_quietly(driver, capsule, created)
            raise
        LOG.debug('Started sandbox %s', name)
        starting = _start_all(driver, pool, created)
        addresses = pool.submit(driver.addresses, capsule.uuid)
        sandbox_info = pool.submit(driver._api.inspect_container, sandbox_id)
        started = _started(starting)
        sandbox = docker_driver._state_from_inspect(sandbox_info.result())
        complete = not capsule.init_containers and len(started) == len(
            capsule.containers)
        return Launched(sandbox=sandbox, started=started, complete=complete,
                        addresses=addresses.result())


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
    from heat_capsule.engine.runtime import docker_driver
    created = []
    for container in first_containers(capsule):
        name = docker_driver.container_name(capsule.uuid, container.name)
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


def _start_all(driver, pool, created):
    """Start the pre-created containers side by side (then inspect each):
    {uuid: future of its inspected info}."""
    def start(docker_id):
        driver._api.start(docker_id)
        return driver._api.inspect_container(docker_id)

    return {container.uuid: pool.submit(start, docker_id)
            for container, docker_id in created}


def _started(pending):
    """{uuid: ContainerState} of the containers Docker started (one it
    refused is left to the ordinary path, which reports why)."""
    from heat_capsule.engine.runtime import docker_driver
    started = {}
    for uuid, future in pending.items():
        try:
            started[uuid] = docker_driver._state_from_inspect(
                future.result())
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
