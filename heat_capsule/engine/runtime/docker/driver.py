"""The Docker side of the capsule engine, on the docker SDK.

What a capsule is on Docker
    * The **sandbox**, ``hc-<capsule uuid>``: a container of the sandbox image
      (a program that only waits) attached to its project's bridge network
      (:mod:`networks`).
      It owns the capsule's network namespace (so the capsule address is its
      address, and every port of the capsule is exposed, and published on
      ``publish_host``, on its hostPort or an ephemeral one: :mod:`ports`)
      and a shareable IPC namespace.  Restart policy
      ``unless-stopped``; StopSignal SIGKILL, since the waiting program, as
      PID 1 without handlers, would never see a SIGTERM.
    * One container per init or app container, ``hc-<capsule uuid>-<name>``,
      joined to the sandbox's network and IPC namespaces
      (``container:<sandbox id>``): the containers of a capsule reach one
      another on 127.0.0.1 and share SysV IPC.  As in Zun's docker driver the
      PID namespace is not shared.
    * One Docker named volume per capsule volume, ``hc-vol-<volume uuid>``
      (``local`` driver), mounted where the containers ask for it.

Every object carries labels from :mod:`spec`, so what belongs to which
capsule is always read back from Docker, never remembered here. Every object
also carries the engine's instance name (``io.heat-capsule.engine``) and the
driver only ever lists, watches or removes objects with its own, so several
engines (a test run beside the all-in-one, say) can share one Docker host.

What the driver refuses to do
    It builds each container's HostConfig from the spec's few fields and
    nothing else: no privileged mode, no added capabilities, no devices, no
    host bind mounts, no host network, PID or IPC namespace.  The spec has no
    field for any of these, and there is no pass-through.  Capabilities and
    no-new-privileges come from :mod:`security` alone (least privilege).
    Every container (sandbox, init, app) also gets the operator's PIDs limit
    and json-file log rotation (:mod:`limits`).

Volume size
    A VolumeSpec ``size`` (GiB) is **recorded, not enforced**: it is stored as
    the label ``io.heat-capsule.size-gib`` on the Docker volume.  The
    ``local`` driver keeps a volume as a plain directory under Docker's data
    root, and on ext4 or overlay filesystems it has no way to cap its size
    (only tmpfs volumes, which do not survive a reboot, or an XFS data root
    with project quotas could).  A capsule may therefore write more than it
    asked for, up to the free space of Docker's data root.

Errors
    A Docker engine that does not answer raises :class:`spec.DockerUnavailable`
    (retry later); any other Docker refusal raises
    :class:`spec.CapsuleRuntimeError` whose message says what was being done
    and Docker's reason; a missing image raises :class:`spec.ImageUnavailable`.

Thread safety: one DockerDriver may be used from several threads; the docker
client underneath keeps a pool of connections.
"""

import contextlib
import threading

import docker
from docker import errors as docker_errors
from docker import types as docker_types
from oslo_log import log as logging
import requests
import urllib3

from heat_capsule.engine.runtime import create_path
from heat_capsule.engine.runtime import images
from heat_capsule.engine.runtime import limits as limits_mod
from heat_capsule.engine.runtime import networks
from heat_capsule.engine.runtime import security
from heat_capsule.engine.runtime import spec
from heat_capsule.engine.runtime.docker import config as docker_config
from heat_capsule.engine.runtime.docker import events as docker_events
from heat_capsule.engine.runtime.docker import logs
from heat_capsule.engine.runtime.docker import membership
from heat_capsule.engine.runtime.docker import naming
from heat_capsule.engine.runtime.docker import removal
from heat_capsule.engine.runtime.docker import sandbox
from heat_capsule.engine.runtime.docker import state as docker_state
from heat_capsule.engine.runtime.docker import volumes

LOG = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120          # seconds for one Docker API request
DEFAULT_MAX_POOL_SIZE = 16     # connections kept to the Docker engine


class DockerDriver(sandbox.SandboxMixin, volumes.VolumesMixin,
                   removal.RemovalMixin, logs.LogsMixin):
    """Makes capsules real on one Docker engine.

    :param docker_url: Docker engine API URL (``unix://...``, ``tcp://...``).
    :param sandbox_image: image of the sandbox containers.
    :param network_name: the bridge network all capsules shared before
        project networks (adopted; see :mod:`networks`).
    :param publish_host: host address the capsule ports are published on
        (hostPort, else ephemeral host ports); '' or None publishes
        nothing.
    :param default_sandbox_image: the image the engine builds itself when it
        is missing; any other ``sandbox_image`` is pulled when missing.
    :param timeout: seconds one Docker API request may take.
    :param instance: this engine's name on the Docker host (a label on
        everything it makes, and a filter on everything it looks at).
    :param subnet_pool: CIDR the project networks' subnets come from;
        `subnet_prefix`: their prefix length.
    :param security_profile: a :class:`security.Profile` (default: its
        defaults).
    :param limits: the PIDs and log limits of every container it makes
        (a :class:`limits.ContainerLimits`; its defaults when None).

    The docker client is created on first use, so building a driver never
    fails when Docker is down.
    """

    def __init__(self, docker_url, sandbox_image, network_name,
                 publish_host='127.0.0.1',
                 default_sandbox_image=images.DEFAULT_SANDBOX_IMAGE,
                 timeout=DEFAULT_TIMEOUT, instance='heat-capsule',
                 subnet_pool=networks.DEFAULT_SUBNET_POOL,
                 subnet_prefix=networks.DEFAULT_SUBNET_PREFIX,
                 security_profile=None, limits=None):
        self.docker_url = docker_url
        self.limits = limits or limits_mod.ContainerLimits()
        self.instance = instance
        self._owner = '%s=%s' % (spec.LABEL_ENGINE, instance)
        self.sandbox_image = sandbox_image
        self.network_name = network_name
        self.publish_host = publish_host or ''
        self.default_sandbox_image = default_sandbox_image
        self.timeout = timeout
        self._client = None
        self._client_lock = threading.Lock()
        self._sandbox_image_lock = threading.Lock()
        self.networks = networks.ProjectNetworks(
            lambda: self._api, instance, subnet_pool, subnet_prefix,
            shared_name=network_name)
        self.security = security_profile or security.Profile()
        # Images and networks Docker confirmed lately (runtime.create_path).
        self.facts = create_path.KnownFacts()

    def _docker(self):
        """The docker.DockerClient, created on first use."""
        with self._client_lock:
            if self._client is None:
                self._client = docker.DockerClient(
                    base_url=self.docker_url, version='auto',
                    timeout=self.timeout,
                    max_pool_size=DEFAULT_MAX_POOL_SIZE)
            return self._client

    @property
    def _api(self):
        return self._docker().api

    def _unavailable(self, error):
        text = ' '.join(str(error).split())
        if len(text) > 300:
            text = text[:297] + '...'
        return spec.DockerUnavailable(
            'Docker engine at %s is not answering: %s'
            % (self.docker_url, text))

    @contextlib.contextmanager
    def _errors(self, doing):
        """Turn docker/requests errors into the spec's exceptions.

        :param doing: what was being done, for the message ("create
            container hc-...").
        """
        try:
            yield
        except spec.CapsuleRuntimeError:
            raise
        except docker_errors.APIError as e:
            raise spec.CapsuleRuntimeError(
                'Docker failed to %s: %s'
                % (doing, docker_config.reason(e))) from e
        except (docker_errors.DockerException,
                requests.exceptions.RequestException,
                urllib3.exceptions.HTTPError, OSError) as e:
            raise self._unavailable(e) from e

    def _inspect_container(self, name_or_id):
        try:
            return self._api.inspect_container(name_or_id)
        except docker_errors.NotFound:
            return None

    def _list_containers(self, *labels):
        """Containers (running or not) carrying every label filter given."""
        return self._api.containers(
            all=True, filters={'label': [self._owner, *labels]})

    def _labels(self, **labels):
        """Labels for a new object: the given ones plus the owner."""
        labels[spec.LABEL_ENGINE] = self.instance
        return labels

    def ping(self):
        """True when the Docker engine answers; else DockerUnavailable."""
        with self._errors('answer a ping'):
            return bool(self._api.ping())

    def host_cpus(self):
        """The Docker host's CPU count (``docker info``'s NCPU)."""
        with self._errors('describe the Docker host'):
            return int(self._api.info()['NCPU'])

    def ensure_network(self, project_id):
        """The network of `project_id`, created when missing.

        :returns: networks.ProjectNetwork (id, name, subnet, subnet_id).
        :raises networks.SubnetPoolExhausted: no subnet is left for it.
        """
        with self._errors('set up the network of project %s' % project_id):
            return self.networks.ensure(project_id)

    def release_network(self, project_id, in_use):
        """Remove the project's network unless `in_use()` (see
        networks.ProjectNetworks.release); returns whether it was removed.
        """
        with self._errors('remove the network of project %s' % project_id):
            removed = self.networks.release(project_id, in_use)
        if removed:
            self.facts.forget_network(project_id)
        return removed

    def collect_networks(self, in_use):
        """Remove unused project networks and the emptied shared one (see
        networks.ProjectNetworks.collect); returns their names."""
        with self._errors('collect unused networks'):
            removed = self.networks.collect(in_use)
        if removed:
            self.facts.forget_network()
        return removed

    def ensure_image(self, container):
        """Make `container.image` present according to its pull policy.

        ``never``: it must be present; ``ifnotpresent``: pulled when
        missing; ``always``: pulled, and when the pull fails a present copy
        is used (with a warning).  Call it before creating a container, not on
        every sync: with ``always`` it pulls every time.

        :returns: 'present' or 'pulled'.
        :raises spec.ImageUnavailable: the image is missing and could not be
            pulled; the message names the image and Docker's reason.
        """
        image = container.image
        policy = (container.image_pull_policy or 'ifnotpresent').lower()
        if policy != 'always' and self.facts.image_present(image):
            return 'present'
        with self._errors('look up image %s' % image):
            present = images.image_present(self._docker(), image)
            if policy == 'never' or (policy != 'always' and present):
                if present:
                    self.facts.remember_image(image)
                    return 'present'
                raise spec.ImageUnavailable(
                    'image %s is not present and could not be pulled: its '
                    'imagePullPolicy is Never' % image)
            reason = images.pull(self._docker(), image)
            if reason is None:
                return 'pulled'
            if present:
                LOG.warning('Pulling image %s failed (%s); using the local '
                            'copy', image, reason)
                return 'present'
            raise spec.ImageUnavailable(
                'image %s is not present and could not be pulled: %s'
                % (image, reason))

    def _ensure_sandbox_image(self):
        if self.facts.image_present(self.sandbox_image):
            return
        with self._sandbox_image_lock:
            outcome = images.ensure_sandbox_image(
                self._docker(), self.sandbox_image,
                self.default_sandbox_image)
        self.facts.remember_image(self.sandbox_image)
        if outcome != 'present':
            LOG.info('Sandbox image %s was missing: %s', self.sandbox_image,
                     outcome)

    def start_container(self, capsule, container):
        """Create and start one init or app container of `capsule`.

        The sandbox must be running (see :meth:`ensure_sandbox`).  A
        container that exists and has started once is not started again: an
        exited init container stays exited, an exited app container is left
        to Docker's restart policy.  One exception: an app container that
        exited while joined to an earlier run of this same sandbox (Docker
        stopped both, on a daemon restart say) is **started again** when its
        restart policy restarts a container that exited with its exit code
        (always; on-failure and non-zero): the start joins the sandbox's new
        namespaces and keeps the container (id, logs), as Docker's own
        restart at daemon start does when it wins the race with the sandbox.

        An existing app container is **replaced** (removed, created and
        started afresh) when it no longer belongs to the current sandbox,
        i.e. it joined a sandbox that has since been replaced, or one that
        restarted while it kept running, and it is running or its restart
        policy wants it running: left alone it would be cut off from the
        capsule's network.  A container of that name with another container
        uuid is replaced too.  The returned state then carries the new
        docker_id.  Init containers are never replaced.

        A missing image is made present first (:meth:`ensure_image`);
        mounted volumes of the capsule are created when missing, and a
        mounted volume that is neither present nor in ``capsule.volumes``
        is an error (Docker would silently create an unlabelled one).

        :returns: the container's ContainerState.
        :raises spec.CapsuleRuntimeError: the sandbox is not running, or
            Docker refused (for instance: executable not found).
        """
        name = naming.container_name(capsule.uuid, container.name)
        with self._errors('start container %s' % name):
            sandbox = self._running_sandbox(capsule.uuid)
            info = self._inspect_container(name)
            if info is not None and self._must_replace(info, container,
                                                       sandbox):
                LOG.info('Replacing container %s: it does not belong to '
                         'the current sandbox of capsule %s', name,
                         capsule.uuid)
                self._stop_and_remove(info['Id'],
                                      capsule.termination_grace_period)
                info = None
            if info is None:
                info = self._create_container(capsule, container, name,
                                              sandbox['Id'])
            if membership.never_started(info):
                self._api.start(info['Id'])
                LOG.debug('Started container %s', name)
                info = self._api.inspect_container(info['Id'])
            elif membership.rejoins(info, sandbox):
                self._api.start(info['Id'])
                LOG.info('Started container %s again in the new run of the '
                         'sandbox of capsule %s (it exited with code %s)',
                         name, capsule.uuid, info['State'].get('ExitCode'))
                info = self._api.inspect_container(info['Id'])
            return docker_state.from_inspect(info)

    def _must_replace(self, info, container, sandbox):
        labels = info['Config'].get('Labels') or {}
        if labels.get(spec.LABEL_CONTAINER) != container.uuid:
            return True
        if labels.get(spec.LABEL_ROLE) == spec.ROLE_INIT:
            return False
        if membership.never_started(info):
            return info['HostConfig'].get('NetworkMode') != (
                'container:%s' % sandbox['Id'])
        if membership.joined_current_sandbox(info, sandbox) or \
                membership.rejoins(info, sandbox):
            return False
        return membership.should_be_running(info)

    def _create_container(self, capsule, container, name, sandbox_id):
        api = self._api
        mounts = [docker_types.Mount(target=mount.path,
                                     source=self._mount_source(capsule,
                                                               mount),
                                     type='volume',
                                     read_only=mount.read_only)
                  for mount in container.mounts]
        host_config = api.create_host_config(
            network_mode='container:%s' % sandbox_id,
            ipc_mode='container:%s' % sandbox_id,
            restart_policy=docker_config.restart_policy(capsule, container),
            nano_cpus=int(round(container.cpu * 1e9)) if container.cpu
            else None,
            mem_limit=container.memory * 1024 * 1024 if container.memory
            else None,
            mounts=mounts or None,
            **self.security.host_config(container.role),
            **self.limits.host_config())
        labels = self._labels(**{spec.LABEL_CAPSULE: capsule.uuid,
                                 spec.LABEL_ROLE: container.role,
                                 spec.LABEL_CONTAINER: container.uuid})
        environment = ['%s=%s' % (key, '' if value is None else value)
                       for key, value in container.environment]

        def create():
            return api.create_container(
                container.image, name=name, detach=True,
                command=list(container.command) or None,
                environment=environment or None,
                working_dir=container.workdir or None,
                tty=bool(container.tty), stdin_open=bool(container.stdin),
                labels=labels, host_config=host_config,
                healthcheck=docker_config.healthcheck(container.healthcheck),
                # What dockerd itself waits after the stop signal when it
                # stops the container (daemon shutdown, docker stop).
                stop_timeout=capsule.termination_grace_period)

        try:
            try:
                created = create()
            except docker_errors.ImageNotFound:
                self.facts.forget_image(container.image)
                self.ensure_image(container)
                created = create()
        except docker_errors.APIError as e:
            return self._created_meanwhile(name, e)
        LOG.info('Created %s container %s', container.role, name)
        return membership.fresh(created['Id'])

    def observe(self, capsule_uuid, inspect_all=False, entries=None):
        """What Docker has for a capsule: {container uuid|'sandbox': state}.

        One list call (with a label filter) gives status, status_detail and,
        for exited containers, the exit code; `entries` are the capsule's
        entries of an earlier list call (:meth:`list_capsules`) to use
        instead (a list of dicts, Docker's ``GET /containers/json``).
        Containers that are not running (created, exited, restarting,
        dead) are inspected as well, for State.Error, the exact exit code
        and RestartCount, and so are running ones whose healthcheck is not
        (yet) healthy, for the failed probe's output.  A healthy or
        unchecked running container is not inspected unless `inspect_all`,
        so its restart_count is 0 on the fast path.
        """
        with self._errors('list the containers of capsule %s'
                          % capsule_uuid):
            if entries is None:
                entries = self._list_containers(
                    '%s=%s' % (spec.LABEL_CAPSULE, capsule_uuid))
            result = {}
            for entry in entries:
                state = docker_state.from_list(entry)
                if inspect_all or state.health not in (None, 'healthy') or \
                        state.status not in ('Running', 'Paused',
                                             'Deleting'):
                    info = self._inspect_container(entry['Id'])
                    if info is None:      # removed meanwhile
                        continue
                    state = docker_state.with_detail(
                        docker_state.from_inspect(info), state.status_detail)
                result[docker_state.key(state)] = state
            return result

    def set_paused(self, capsule_uuid, docker_id, paused):
        """Freeze (``docker pause``) or thaw one container of a capsule.

        Docker's 409 (already in that state, or not running any more) and
        404 (gone) are left to the next observe to report.
        """
        doing = 'pause' if paused else 'unpause'
        with self._errors('%s a container of capsule %s'
                          % (doing, capsule_uuid)):
            try:
                getattr(self._api, doing)(docker_id)
                LOG.info('%sd container %s of capsule %s',
                         doing.capitalize(), docker_id[:12], capsule_uuid)
            except docker_errors.NotFound:
                pass
            except docker_errors.APIError as e:
                if not docker_config.is_conflict(e):
                    raise

    def list_capsules(self):
        """Every container of this engine's capsules, in one list call:
        {capsule uuid: [list entry]} (Docker's ``GET /containers/json``
        entries; :meth:`observe` takes a capsule's as `entries`).

        Volumes are left out on purpose: one that is not auto-removed
        outlives the capsule named in its labels.
        """
        with self._errors('list capsules'):
            entries = self._list_containers(spec.LABEL_CAPSULE)
        found = {}
        for entry in entries:
            capsule_uuid = (entry.get('Labels') or {}).get(spec.LABEL_CAPSULE)
            if capsule_uuid:
                found.setdefault(capsule_uuid, []).append(entry)
        return found

    def list_capsule_uuids(self):
        """Capsule uuids Docker holds containers for (a set)."""
        return set(self.list_capsules())

    def events(self, since=None, actions=docker_events.ACTIONS):
        """Docker container events of capsules, as (capsule_uuid, action).

        :param since: a datetime or UNIX time to replay events from (after a
            reconnect).
        :param actions: the event actions wanted (None: all of them, exec_*
            included).
        :returns: an iterator; iterating blocks until the next event.  It
            raises spec.DockerUnavailable when the stream breaks or ends,
            and simply stops after its ``close()``, which may be called from
            another thread to unblock it.
        """
        filters = {'type': 'container',
                   'label': [self._owner, spec.LABEL_CAPSULE]}
        if actions:
            filters['event'] = list(actions)
        with self._errors('follow events'):
            stream = self._api.events(since=since, filters=filters,
                                      decode=True)
        return docker_events.EventStream(stream, self._unavailable)
