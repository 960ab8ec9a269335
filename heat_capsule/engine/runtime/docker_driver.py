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
import dataclasses
import datetime
import ipaddress
import re
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
from heat_capsule.engine.runtime import ports
from heat_capsule.engine.runtime import security
from heat_capsule.engine.runtime import spec
from heat_capsule.engine.runtime import status as status_rules

LOG = logging.getLogger(__name__)

LABEL_SIZE = spec.LABEL_PREFIX + 'size-gib'   # requested size, not enforced

DEFAULT_TIMEOUT = 120          # seconds for one Docker API request
DEFAULT_MAX_POOL_SIZE = 16     # connections kept to the Docker engine

# Container events worth a capsule sync; exec_*, attach, resize, top... are
# noise to the reconciler and are filtered out by the daemon.
# ('health_status' makes the daemon match prefixes: 'health_status: healthy'.)
EVENT_ACTIONS = ('create', 'start', 'restart', 'die', 'oom', 'kill', 'stop',
                 'pause', 'unpause', 'destroy', 'rename', 'update',
                 'health_status')

# Docker's State.Status -> Zun container status.
_STATUSES = {
    'created': 'Created',
    'running': 'Running',
    'restarting': 'Restarting',
    'paused': 'Paused',
    'exited': 'Stopped',
    'dead': 'Dead',
    'removing': 'Deleting',
}
_NOT_EXITED = ('Created', 'Running', 'Paused', 'Deleting')

_NEVER = '0001-01-01T00:00:00Z'   # Docker's zero time (StartedAt, ...)
_EXIT_CODE_IN_STATUS = re.compile(r'^(?:Exited|Restarting) \((-?\d+)\)')
# The health part of ``docker ps``'s STATUS: "Up 3 seconds (healthy)".
_HEALTH_IN_STATUS = re.compile(r'\((healthy|unhealthy|health: starting)\)')
_HEALTH_OUTPUT_LIMIT = 2000     # characters of a failed probe's output kept
_NAME_UNSAFE = re.compile(r'[^a-zA-Z0-9_.-]')


def sandbox_name(capsule_uuid):
    return 'hc-%s' % capsule_uuid


def container_name(capsule_uuid, name):
    """Docker name of a capsule container (unsafe characters become '_')."""
    return 'hc-%s-%s' % (capsule_uuid, _NAME_UNSAFE.sub('_', name))


def volume_name(volume_uuid):
    return 'hc-vol-%s' % volume_uuid


def _reason(error, limit=400):
    """Docker's own words for an APIError, on one line."""
    text = getattr(error, 'explanation', None) or str(error)
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    text = ' '.join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _is_conflict(error):
    return (isinstance(error, docker_errors.APIError)
            and error.status_code == 409)


# --- Docker time and status text ---------------------------------------------

def _parse_time(text):
    """Docker's RFC 3339 (nanosecond) UTC time -> aware datetime, or None."""
    if not text or text.startswith('0001-01-01'):
        return None
    base, _, rest = text.rstrip('Z').partition('.')
    micro = int((rest[:6] or '0').ljust(6, '0')) if rest else 0
    try:
        moment = datetime.datetime.strptime(base, '%Y-%m-%dT%H:%M:%S')
    except ValueError:
        return None
    return moment.replace(microsecond=micro, tzinfo=datetime.timezone.utc)


def _since(text):
    moment = _parse_time(text)
    if moment is None:
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    return status_rules.human_duration(
        max(0.0, (now - moment).total_seconds()))


def _status_detail(state):
    """What ``docker ps`` would show in STATUS, from inspect's State."""
    status = state.get('Status')
    if status in ('running', 'paused'):
        text = 'Up %s' % (_since(state.get('StartedAt')) or '')
        if status == 'paused':
            return text + ' (Paused)'
        health = _health(state)[0]
        if health == 'starting':
            return text + ' (health: starting)'
        return text + (' (%s)' % health if health else '')
    if status == 'restarting':
        return 'Restarting (%s) %s ago' % (
            state.get('ExitCode'), _since(state.get('FinishedAt')))
    if status == 'removing':
        return 'Removal In Progress'
    if status == 'dead':
        return 'Dead'
    if _parse_time(state.get('StartedAt')) is None:
        return 'Created'
    ago = _since(state.get('FinishedAt'))
    return 'Exited (%s) %s ago' % (state.get('ExitCode'), ago) if ago else ''


def _health(state):
    """(status, output of the latest probe if it failed) from State."""
    health = state.get('Health') or {}
    status = health.get('Status')
    if state.get('Status') != 'running' or status not in (
            'starting', 'healthy', 'unhealthy'):
        return None, None
    last = (health.get('Log') or [{}])[-1]
    output = None
    if last.get('ExitCode') not in (0, None):
        output = (last.get('Output') or '').strip()
        output = output[-_HEALTH_OUTPUT_LIMIT:] or (
            'the check exited with code %s and printed nothing'
            % last['ExitCode'])
    return status, output


def _health_from_status(text):
    match = _HEALTH_IN_STATUS.search(text or '')
    if not match:
        return None
    return 'starting' if match.group(1) == 'health: starting' \
        else match.group(1)


def _docker_healthcheck(check):
    """The docker SDK's healthcheck dict (times in nanoseconds)."""
    if check is None:
        return None
    second = 1000000000
    return {'test': ['CMD-SHELL', check.cmd],
            'interval': check.interval * second,
            'timeout': check.timeout * second,
            'retries': check.retries,
            'start_period': check.start_period * second}


def _state_from_inspect(info):
    state = info.get('State') or {}
    labels = (info.get('Config') or {}).get('Labels') or {}
    status = _STATUSES.get(state.get('Status'), 'Unknown')
    health, health_output = _health(state)
    error = state.get('Error') or None
    exit_code = state.get('ExitCode')
    restarts = info.get('RestartCount') or 0
    if status in _NOT_EXITED and not error:
        exit_code = None   # Docker resets it to 0 at each start
    return spec.ContainerState(
        docker_id=info['Id'],
        role=labels.get(spec.LABEL_ROLE, spec.ROLE_APP),
        container_uuid=labels.get(spec.LABEL_CONTAINER),
        status=status,
        exit_code=exit_code,
        status_detail=_status_detail(state),
        error=error,
        restart_count=restarts,
        started_at=status_rules.naive_utc(_parse_time(state.get('StartedAt'))),
        finished_at=status_rules.naive_utc(
            _parse_time(state.get('FinishedAt'))),
        oom_killed=bool(state.get('OOMKilled')),
        health=health,
        health_output=health_output)


def _state_from_list(entry):
    """ContainerState from one /containers/json entry (no inspect).

    The list carries the status and Docker's status text, from which the exit
    code is read; it has neither State.Error nor RestartCount.
    """
    labels = entry.get('Labels') or {}
    detail = entry.get('Status') or None
    match = _EXIT_CODE_IN_STATUS.match(detail or '')
    return spec.ContainerState(
        docker_id=entry['Id'],
        role=labels.get(spec.LABEL_ROLE, spec.ROLE_APP),
        container_uuid=labels.get(spec.LABEL_CONTAINER),
        status=_STATUSES.get(entry.get('State'), 'Unknown'),
        exit_code=int(match.group(1)) if match else None,
        status_detail=detail,
        restart_count=None,
        health=_health_from_status(detail))


def _state_key(state):
    if state.role == spec.ROLE_SANDBOX or not state.container_uuid:
        return 'sandbox'
    return state.container_uuid


# --- The driver -------------------------------------------------------------

class DockerDriver:
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

    # -- plumbing ------------------------------------------------------------

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
                'Docker failed to %s: %s' % (doing, _reason(e))) from e
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

    # -- engine ---------------------------------------------------------------

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

    # -- images ---------------------------------------------------------------

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

    # -- volumes --------------------------------------------------------------

    def ensure_volume(self, vol, capsule_uuid):
        """Create the Docker volume of `vol` when missing (idempotent).

        Labels: the volume uuid, the capsule that created it, auto-remove
        and the requested size in GiB (recorded, not enforced: see the
        module docstring).  An existing volume is left as it is.

        :returns: the Docker volume name.
        """
        name = volume_name(vol.uuid)
        with self._errors('create volume %s' % name):
            try:
                self._api.inspect_volume(name)
                return name
            except docker_errors.NotFound:
                pass
            labels = self._labels(**{
                spec.LABEL_VOLUME: vol.uuid,
                spec.LABEL_CAPSULE: capsule_uuid,
                spec.LABEL_AUTO_REMOVE: 'true' if vol.auto_remove else 'false',
            })
            if vol.size is not None:
                labels[LABEL_SIZE] = '%g' % vol.size
            self._api.create_volume(name=name, driver='local', labels=labels)
            LOG.info('Created volume %s for capsule %s', name, capsule_uuid)
            return name

    def volume_exists(self, volume_uuid):
        """True when the Docker volume of `volume_uuid` exists."""
        name = volume_name(volume_uuid)
        with self._errors('look up volume %s' % name):
            try:
                self._api.inspect_volume(name)
            except docker_errors.NotFound:
                return False
            return True

    def remove_volume(self, volume_uuid):
        """Remove the Docker volume of `volume_uuid`; gone already is fine.

        :raises spec.CapsuleRuntimeError: the volume is still used by a
            container (Docker's message names it).
        """
        name = volume_name(volume_uuid)
        with self._errors('remove volume %s' % name):
            try:
                self._api.remove_volume(name)
                LOG.info('Removed volume %s', name)
            except docker_errors.NotFound:
                pass

    def list_volumes(self):
        """{volume uuid: labels} of every engine volume on this Docker."""
        with self._errors('list volumes'):
            answer = self._api.volumes(
                filters={'label': [self._owner, spec.LABEL_VOLUME]})
        result = {}
        for volume in (answer or {}).get('Volumes') or ():
            labels = volume.get('Labels') or {}
            result[labels[spec.LABEL_VOLUME]] = labels
        return result

    # -- the sandbox ----------------------------------------------------------

    def ensure_sandbox(self, capsule):
        """Create the sandbox of `capsule` when missing, start it if needed.

        The sandbox image is made present first (built when it is the
        engine's default image, pulled otherwise).  Before it is created or
        started, its project's network is made when missing (also when it
        was removed behind the engine's back) and a sandbox on another
        network (the shared one of earlier versions) is moved onto it.

        :returns: the sandbox's ContainerState.
        :raises networks.SubnetPoolExhausted: the project has no network
            and no subnet is left for one.
        """
        name = sandbox_name(capsule.uuid)
        with self._errors('set up sandbox %s' % name), \
                self.networks.using(capsule.project_id):
            info = self._inspect_container(name)
            status = None if info is None else info['State'].get('Status')
            if status == 'paused':
                self._api.unpause(info['Id'])
            elif status in (None, 'created', 'exited', 'dead'):
                network = self.networks.ensure(capsule.project_id)
                created = info is None
                if created:
                    info = self._create_sandbox(capsule, name, network)
                else:
                    self._move_to(info, network)
                self._start_sandbox(capsule, info, created)
                LOG.debug('Started sandbox %s', name)
            else:   # running; restarting is Docker's own business
                return _state_from_inspect(info)
            return _state_from_inspect(self._api.inspect_container(
                info['Id']))

    def _start_sandbox(self, capsule, info, created):
        """Start it; a host port taken (:func:`ports.bind_failure`) raises
        a CapsuleRuntimeError naming the port, after removing the sandbox
        when it was `created` by this call (nothing half-made is left; an
        older one, restarted by a repair, keeps its app containers)."""
        try:
            self._api.start(info['Id'])
        except docker_errors.APIError as e:
            reason = ports.bind_failure(_reason(e, 1000), capsule,
                                        self.publish_host)
            if reason is None:
                raise
            if created:
                self._remove_container(info['Id'])
            raise spec.CapsuleRuntimeError(reason) from e

    def published_ports(self, capsule_uuid):
        """What Docker publishes now for the capsule (see
        :func:`ports.published`); empty when its sandbox is not running."""
        with self._errors('inspect the sandbox of capsule %s'
                          % capsule_uuid):
            return ports.published(
                self._inspect_container(sandbox_name(capsule_uuid)))

    def _move_to(self, info, network):
        """Attach a stopped sandbox to `network` only (an upgrade from the
        shared network, or a network made again under another id)."""
        attached = (info.get('NetworkSettings') or {}).get('Networks') or {}
        if list(attached) == [network.name]:
            return
        if network.name not in attached:
            self._api.connect_container_to_network(info['Id'], network.id)
        for other in attached:
            if other != network.name:
                self._api.disconnect_container_from_network(
                    info['Id'], other, force=True)
        if attached and network.name not in attached:
            LOG.info('Moved sandbox %s from network %s to %s',
                     info.get('Name', info['Id']).lstrip('/'),
                     ', '.join(sorted(attached)), network.name)

    def _create_sandbox(self, capsule, name, network):
        """Create the sandbox container; return its (possibly fresh) info."""
        self._ensure_sandbox_image()
        exposed = _capsule_ports(capsule)
        api = self._api
        host_config = api.create_host_config(
            network_mode=network.name,
            ipc_mode='shareable',
            restart_policy={'Name': 'unless-stopped'},
            port_bindings=ports.bindings(capsule, self.publish_host),
            **self.security.host_config(spec.ROLE_SANDBOX),
            **self.limits.host_config())
        networking_config = api.create_networking_config(
            {network.name: api.create_endpoint_config()})
        labels = self._labels(**{spec.LABEL_CAPSULE: capsule.uuid,
                                 spec.LABEL_ROLE: spec.ROLE_SANDBOX})

        def create():
            return api.create_container(
                self.sandbox_image, name=name,
                hostname=capsule.hostname or default_hostname(capsule.uuid),
                labels=labels, ports=exposed or None, detach=True,
                stop_signal='SIGKILL', host_config=host_config,
                networking_config=networking_config)

        try:
            created = create()
        except docker_errors.APIError as e:
            return self._created_meanwhile(name, e)
        LOG.info('Created sandbox %s on network %s', name, network.name)
        return _fresh(created['Id'])

    def _created_meanwhile(self, name, error):
        """The info of `name` after a create that failed with `error`.

        A name conflict means another sync created it: use that one.
        """
        if not _is_conflict(error):
            raise error
        info = self._inspect_container(name)
        if info is None:
            raise error
        return info

    # -- init and app containers ----------------------------------------------

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
        name = container_name(capsule.uuid, container.name)
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
            if _never_started(info):
                self._api.start(info['Id'])
                LOG.debug('Started container %s', name)
                info = self._api.inspect_container(info['Id'])
            elif _rejoins(info, sandbox):
                self._api.start(info['Id'])
                LOG.info('Started container %s again in the new run of the '
                         'sandbox of capsule %s (it exited with code %s)',
                         name, capsule.uuid, info['State'].get('ExitCode'))
                info = self._api.inspect_container(info['Id'])
            return _state_from_inspect(info)

    def _running_sandbox(self, capsule_uuid):
        info = self._inspect_container(sandbox_name(capsule_uuid))
        if info is None or info['State'].get('Status') != 'running':
            raise spec.CapsuleRuntimeError(
                'the sandbox of capsule %s is %s' % (
                    capsule_uuid,
                    'missing' if info is None else 'not running'))
        return info

    def _must_replace(self, info, container, sandbox):
        labels = info['Config'].get('Labels') or {}
        if labels.get(spec.LABEL_CONTAINER) != container.uuid:
            return True
        if labels.get(spec.LABEL_ROLE) == spec.ROLE_INIT:
            return False
        if _never_started(info):
            return info['HostConfig'].get('NetworkMode') != (
                'container:%s' % sandbox['Id'])
        if _joined_current_sandbox(info, sandbox) or _rejoins(info, sandbox):
            return False
        return _should_be_running(info)

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
            restart_policy=_restart_policy(capsule, container),
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
                healthcheck=_docker_healthcheck(container.healthcheck),
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
        return _fresh(created['Id'])

    def _mount_source(self, capsule, mount):
        """The Docker volume for `mount`, created from capsule.volumes."""
        for vol in capsule.volumes:
            if vol.uuid == mount.volume_uuid:
                return self.ensure_volume(vol, capsule.uuid)
        if not self.volume_exists(mount.volume_uuid):
            raise spec.CapsuleRuntimeError(
                'volume %s mounted at %s is missing' % (mount.volume_uuid,
                                                        mount.path))
        return volume_name(mount.volume_uuid)

    # -- observing ------------------------------------------------------------

    def observe(self, capsule_uuid, inspect_all=False):
        """What Docker has for a capsule: {container uuid|'sandbox': state}.

        One list call (with a label filter) gives status, status_detail and,
        for exited containers, the exit code.  Containers that are not
        running (created, exited, restarting, dead) are inspected as well,
        for State.Error, the exact exit code and RestartCount, and so are
        running ones whose healthcheck is not (yet) healthy, for the failed
        probe's output.  A healthy or unchecked running container is not
        inspected unless `inspect_all`, so its restart_count is 0 on the
        fast path.
        """
        with self._errors('list the containers of capsule %s'
                          % capsule_uuid):
            entries = self._list_containers(
                '%s=%s' % (spec.LABEL_CAPSULE, capsule_uuid))
            result = {}
            for entry in entries:
                state = _state_from_list(entry)
                if inspect_all or state.health not in (None, 'healthy') or \
                        state.status not in ('Running', 'Paused',
                                             'Deleting'):
                    info = self._inspect_container(entry['Id'])
                    if info is None:      # removed meanwhile
                        continue
                    state = _with_detail(_state_from_inspect(info),
                                         state.status_detail)
                result[_state_key(state)] = state
            return result

    def addresses(self, capsule_uuid):
        """The sandbox's addresses, as spec.Address, on each of its networks
        (its project's; or the shared one of earlier versions).

        Zun's form: the network id, and a subnet id derived from it and the
        subnet of the address (:func:`networks.make_subnet_id`).  Empty when
        the sandbox is missing or not running.
        """
        with self._errors('inspect the sandbox of capsule %s'
                          % capsule_uuid):
            info = self._inspect_container(sandbox_name(capsule_uuid))
        if info is None:
            return []
        attached = (info.get('NetworkSettings') or {}).get('Networks') or {}
        result = []
        for _name, endpoint in sorted(attached.items()):
            network_id = endpoint.get('NetworkID')
            endpoint_id = endpoint.get('EndpointID') or ''
            if endpoint.get('IPAddress'):
                result.append(spec.Address(
                    addr=endpoint['IPAddress'], version=4,
                    network_id=network_id,
                    subnet_id=networks.make_subnet_id(
                        network_id, networks.endpoint_subnet(endpoint)),
                    port=endpoint_id))
            if endpoint.get('GlobalIPv6Address'):
                address = endpoint['GlobalIPv6Address']
                network = ipaddress.ip_interface('%s/%s' % (
                    address, endpoint.get('GlobalIPv6PrefixLen') or 64)
                ).network
                result.append(spec.Address(
                    addr=address, version=6, network_id=network_id,
                    subnet_id=networks.make_subnet_id(network_id,
                                                      str(network)),
                    port=endpoint_id))
        return result

    def hostname(self, capsule_uuid):
        """The capsule's hostname (the sandbox's), or None without one."""
        with self._errors('inspect the sandbox of capsule %s'
                          % capsule_uuid):
            info = self._inspect_container(sandbox_name(capsule_uuid))
        return info['Config'].get('Hostname') if info else None

    def logs_tail(self, capsule_uuid, container_uuid, lines):
        """The last `lines` lines (stdout and stderr) of one container.

        `container_uuid` None or 'sandbox' means the sandbox.  '' when the
        container does not exist.
        """
        if container_uuid in (None, 'sandbox'):
            wanted = '%s=%s' % (spec.LABEL_ROLE, spec.ROLE_SANDBOX)
        else:
            wanted = '%s=%s' % (spec.LABEL_CONTAINER, container_uuid)
        with self._errors('read the logs of a container of capsule %s'
                          % capsule_uuid):
            entries = self._list_containers(
                '%s=%s' % (spec.LABEL_CAPSULE, capsule_uuid), wanted)
            if not entries:
                return ''
            try:
                output = self._api.logs(entries[0]['Id'], stdout=True,
                                        stderr=True, tail=int(lines))
            except docker_errors.NotFound:
                return ''
        if isinstance(output, bytes):
            output = output.decode('utf-8', 'replace')
        return output

    # -- pause (engine extension, see runtime/freezer.py) ---------------------

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
                if not _is_conflict(e):
                    raise

    # -- removing -------------------------------------------------------------

    def remove_capsule(self, capsule_uuid):
        """Force-remove every container of a capsule, the sandbox last.

        Volumes are not touched (their lifecycle is the reconciler's).
        Anonymous volumes an image may have declared go with their container.
        Idempotent: containers already gone are fine.

        :returns: how many containers were removed.
        """
        with self._errors('remove capsule %s' % capsule_uuid):
            entries = self._list_containers(
                '%s=%s' % (spec.LABEL_CAPSULE, capsule_uuid))
            entries.sort(key=lambda entry: (entry.get('Labels') or {}).get(
                spec.LABEL_ROLE) == spec.ROLE_SANDBOX)
            removed = 0
            for entry in entries:
                removed += self._remove_container(entry['Id'])
            if removed:
                LOG.info('Removed %d containers of capsule %s', removed,
                         capsule_uuid)
            return removed

    def send_stop_signal(self, docker_id):
        """Send a running container its stop signal; the signal, or None.

        The signal is the container's Config.StopSignal (Docker copies the
        image's STOPSIGNAL there), else SIGTERM.  Docker takes a
        container's own stop signal as fatal and disables its restart
        policy until the next start, as ``docker stop`` does, so it is not
        restarted while it shuts down.  None when the container is gone or
        not running (then there is nothing to wait for).
        """
        with self._errors('signal container %s' % docker_id):
            info = self._inspect_container(docker_id)
            state = (info or {}).get('State') or {}
            if not state.get('Running') or state.get('Restarting'):
                return None
            signal = info['Config'].get('StopSignal') or 'SIGTERM'
            try:
                self._api.kill(docker_id, signal=signal)
            except docker_errors.NotFound:
                return None
            except docker_errors.APIError as e:
                if _is_conflict(e):      # exited meanwhile
                    return None
                raise
            return signal

    def kill_container(self, docker_id):
        """SIGKILL a container; True if it was running."""
        with self._errors('kill container %s' % docker_id):
            try:
                self._api.kill(docker_id)
            except docker_errors.NotFound:
                return False
            except docker_errors.APIError as e:
                if _is_conflict(e):      # not running (any more)
                    return False
                raise
            return True

    def remove_container(self, docker_id):
        """Force-remove one container (SIGKILL if it runs); 1 or 0."""
        with self._errors('remove container %s' % docker_id):
            return self._remove_container(docker_id)

    def _stop_and_remove(self, docker_id, grace):
        """Docker's stop (stop signal, up to `grace` s, SIGKILL), then
        remove; `grace` None is the container's own stop timeout."""
        with contextlib.suppress(docker_errors.NotFound):
            self._api.stop(docker_id, timeout=grace)
        return self._remove_container(docker_id)

    def _remove_container(self, docker_id):
        try:
            self._api.remove_container(docker_id, v=True, force=True)
            return 1
        except docker_errors.NotFound:
            return 0
        except docker_errors.APIError as e:
            if _is_conflict(e) and 'in progress' in _reason(e):
                return 0
            raise

    def list_capsule_uuids(self):
        """Capsule uuids Docker holds containers for.

        Volumes are left out on purpose: one that is not auto-removed
        outlives the capsule named in its labels.
        """
        with self._errors('list capsules'):
            entries = self._list_containers(spec.LABEL_CAPSULE)
        found = {(entry.get('Labels') or {}).get(spec.LABEL_CAPSULE)
                 for entry in entries}
        found.discard(None)
        return found

    # -- events ---------------------------------------------------------------

    def events(self, since=None, actions=EVENT_ACTIONS):
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
        return _EventStream(stream, self._unavailable)

    # -- logs -----------------------------------------------------------------

    def container_logs(self, capsule_uuid, container_uuid, stdout=True,
                       stderr=True, timestamps=False, tail='all',
                       since=None, max_bytes=None):
        """The logs of one init or app container of a capsule, as bytes.

        What ``docker logs`` shows: stdout and/or stderr (a container with
        a TTY has only one stream, which Docker reports as stdout), with
        Docker's RFC 3339 timestamps if asked, the last `tail` lines
        ('all' or an int >= 0), only what was written after `since`
        (seconds since the epoch, int or float; None or < 1: everything).
        An exited container keeps its logs until it is removed; the engine
        removes a capsule's containers only when the capsule is deleted.

        :param max_bytes: keep only the newest this many bytes (None: all);
            the logs are streamed, never held whole in memory.
        :returns: (data, dropped): the log bytes and how many older bytes
            were left out for `max_bytes`; None when Docker has no such
            container (not created yet, or removed).
        """
        if since is not None and since < 1:
            since = None
        with self._errors('read the logs of container %s of capsule %s'
                          % (container_uuid, capsule_uuid)):
            entries = self._list_containers(
                '%s=%s' % (spec.LABEL_CAPSULE, capsule_uuid),
                '%s=%s' % (spec.LABEL_CONTAINER, container_uuid))
            if not entries:
                return None
            try:
                stream = self._api.logs(
                    entries[0]['Id'], stdout=stdout, stderr=stderr,
                    stream=True, follow=False, timestamps=timestamps,
                    tail=tail, since=since)
            except docker_errors.NotFound:
                return None
            try:
                return self._read_bounded(stream, max_bytes)
            finally:
                with contextlib.suppress(Exception):
                    stream.close()

    @staticmethod
    def _read_bounded(chunks, max_bytes):
        """(the last `max_bytes` bytes of `chunks`, how many were dropped)."""
        kept = bytearray()
        dropped = 0
        for chunk in chunks:
            kept += chunk
            if max_bytes is not None and len(kept) > 2 * max_bytes:
                excess = len(kept) - max_bytes
                del kept[:excess]
                dropped += excess
        if max_bytes is not None and len(kept) > max_bytes:
            excess = len(kept) - max_bytes
            del kept[:excess]
            dropped += excess
        return bytes(kept), dropped


class Event(tuple):
    """One container event: the pair (capsule_uuid, action), with
    ``container_uuid`` (None for a sandbox) and ``exit_code`` (the int of a
    'die' event, else None) as attributes. Docker's 'die' event is the one
    place the exit code of a container that its restart policy starts again
    at once can be read: inspect shows 0 again after the restart."""

    def __new__(cls, capsule_uuid, action, attributes=None):
        event = super().__new__(cls, (capsule_uuid, action))
        attributes = attributes or {}
        event.container_uuid = attributes.get(spec.LABEL_CONTAINER)
        try:
            event.exit_code = int(attributes['exitCode'])
        except (KeyError, TypeError, ValueError):
            event.exit_code = None
        return event


class _EventStream:
    """Iterator over Events that knows why it ended."""

    def __init__(self, stream, unavailable):
        self._stream = stream
        self._unavailable = unavailable
        self._closed = False

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            try:
                event = next(self._stream)
            except StopIteration:
                if self._closed:
                    raise
                raise self._unavailable('the event stream ended') from None
            except (docker_errors.DockerException, ValueError,
                    requests.exceptions.RequestException,
                    urllib3.exceptions.HTTPError, OSError) as e:
                if self._closed:
                    raise StopIteration from None
                raise self._unavailable(e) from e
            actor = event.get('Actor') or {}
            attributes = actor.get('Attributes') or {}
            capsule_uuid = attributes.get(spec.LABEL_CAPSULE)
            if capsule_uuid:
                return Event(capsule_uuid, event.get('Action')
                             or event.get('status'), attributes)

    def close(self):
        """Stop the stream; a blocked iteration then stops too."""
        self._closed = True
        try:
            self._stream.close()
        except Exception:   # already closed, or half-torn-down socket
            LOG.debug('Closing the event stream failed', exc_info=True)


# --- helpers of the driver --------------------------------------------------

def default_hostname(capsule_uuid):
    """Hostname of a capsule without one: 'capsule-' + 8 hex digits."""
    return 'capsule-%s' % capsule_uuid.replace('-', '')[:8]


def _with_detail(state, detail):
    """`state` with the list's status text, which inspect does not carry."""
    if not detail:
        return state
    return dataclasses.replace(state, status_detail=detail)


def _capsule_ports(capsule):
    """The union of the ports of all containers, as sorted (number, proto)."""
    exposed = set()
    for container in tuple(capsule.init_containers) + tuple(
            capsule.containers):
        for port in container.ports:
            exposed.add((int(port.number), (port.protocol or 'tcp').lower()))
    return sorted(exposed)


def _restart_policy(capsule, container):
    if container.role == spec.ROLE_INIT:
        return {'Name': 'no', 'MaximumRetryCount': 0}
    wanted = (capsule.restart_policy or 'always').lower()
    try:
        name = spec.RESTART_POLICIES[wanted]
    except KeyError:
        raise spec.CapsuleRuntimeError(
            'restart policy %r is not one of always, on-failure, no'
            % capsule.restart_policy)
    return {'Name': name, 'MaximumRetryCount': 0}


def _fresh(docker_id):
    """The part of inspect's answer that is known of a container just made.

    It saves an inspect between create and start; the caller inspects
    after the start.
    """
    return {'Id': docker_id, 'State': {'Status': 'created',
                                       'StartedAt': _NEVER}}


def _never_started(info):
    return (info['State'].get('StartedAt') or _NEVER).startswith('0001-')


def _joined_current_sandbox(info, sandbox):
    """True when a started container shares the sandbox's live namespaces.

    It must name the sandbox and have started after the sandbox last did;
    one started before joined namespaces that died with the old process.
    """
    if info['HostConfig'].get('NetworkMode') != 'container:%s' % sandbox['Id']:
        return False
    started = _parse_time(info['State'].get('StartedAt'))
    sandbox_started = _parse_time(sandbox['State'].get('StartedAt'))
    return started is None or sandbox_started is None or (
        started >= sandbox_started)


def _rejoins(info, sandbox):
    """True for an exited app container to start again in `sandbox`.

    It names this very sandbox but last ran in an earlier run of it (both
    were stopped, by a daemon restart for instance), and its restart policy
    restarts a container that exited with its exit code.  A start joins the
    sandbox's current namespaces.
    """
    labels = info['Config'].get('Labels') or {}
    return (labels.get(spec.LABEL_ROLE) != spec.ROLE_INIT
            and info['State'].get('Status') == 'exited'
            and info['HostConfig'].get('NetworkMode') == (
                'container:%s' % sandbox['Id'])
            and not _joined_current_sandbox(info, sandbox)
            and _should_be_running(info))


def _should_be_running(info):
    """Running, or exited in a way its restart policy would restart."""
    state = info['State']
    if state.get('Status') in ('running', 'restarting', 'paused'):
        return True
    policy = (info['HostConfig'].get('RestartPolicy') or {}).get('Name')
    # Docker's empty policy name means "no".
    return spec.restarts(policy or 'no', state.get('ExitCode', 0))
