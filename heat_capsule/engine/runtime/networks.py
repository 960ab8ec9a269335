"""One Docker bridge network per Keystone project: names, subnets, lifecycle.

Why
    Docker lets containers on one user-defined bridge reach each other on
    every port, and isolates bridges from one another (its
    DOCKER-ISOLATION iptables chains; dockerd's default ``iptables = true``).
    So each project's capsules sit on a network of their own, as each
    project's Zun capsules sit on its own Neutron network: capsules of one
    project reach each other (ICC on, names resolved by Docker's DNS), other
    projects' do not.

What a project network is
    A ``bridge`` network named ``<instance>-<project>`` (a project id that is
    not a safe Docker name is replaced by ``p`` + 16 hex digits of its
    SHA-256), labelled ``io.heat-capsule.engine=<instance>``,
    ``io.heat-capsule.network=project`` and ``io.heat-capsule.project=<id>``.
    It is found by its labels, never by its name.  It is made when the
    project's first sandbox is, and removed once the project has no capsule
    left in the database and no container references it (right after a
    delete, and by the periodic resync, which also catches what a crash
    left).  A network in use by a sandbox being set up is never removed
    (:meth:`ProjectNetworks.using`).

Subnets
    Docker's default address pools hold 15 /16 and 16 /20 bridge networks
    (31 in all) before "could not find an available, non-overlapping IPv4
    address pool", far fewer than the projects of a cloud.  Each project
    network therefore gets a subnet from ``[isolation] subnet_pool``
    (default ``10.230.0.0/16``) cut into ``/[isolation] subnet_prefix``
    blocks (default /24: 256 networks of 253 capsules each).  The first block
    that no network of this Docker host overlaps is taken (every engine on
    the host, and anything else, counts); when Docker refuses it anyway
    ("Pool overlaps with other one on this address space": another engine
    took it between the look and the create) the next one is tried.  When
    none is left, :class:`SubnetPoolExhausted` is raised: the capsule
    that needed a new project network goes to Error with that reason
    (capsules of projects that already have their network are not
    concerned); deleting a project's last capsule frees its block, or the
    operator widens the pool.  The pool must not overlap a network the host
    routes to (Docker does not check host routes for explicit subnets).

The shared network of earlier versions
    Before project networks every capsule sat on ``[runtime] network_name``
    (label ``io.heat-capsule.network=true``).  Such capsules are adopted as
    they are: they keep running, with their address (keyed by that
    network's id), and are **moved** to their project's network the next
    time the engine starts their sandbox (after it stopped, or was stopped
    with ``docker stop hc-<capsule uuid>`` to move it at once): the sandbox
    is disconnected from the shared network and connected to the project
    network, so its address changes then.  The shared network is removed
    once nothing references it; until then :meth:`ProjectNetworks.collect`
    logs a WARNING with how many capsules are still on it.

Sandboxes joining and leaving a network (:meth:`ProjectNetworks.endpoints`)
    Docker 20.10 (Debian 12's docker.io is 20.10.24) can deadlock when two
    endpoints of one network leave at about the same time: a sandbox's
    leave takes the network's lock, then the controller's, while Docker's
    own watch loop, busy with the other endpoint's delete, holds them the
    other way round (moby/libnetwork#2649; fixed by moby/moby#42545, in no
    Debian 12 build).  From then on every network call hangs until dockerd
    is restarted.  Force-removing many capsules of one project at once
    does exactly that (seen here under the test suite's churn).  So a
    sandbox leaves its network alone: its removal holds the network's
    endpoint lock for writing, a sandbox start holds it for reading
    (starts still run side by side).  The lock prefers writers: while
    removals of a project's sandboxes are queued, that project's new
    sandboxes wait for them (one removal takes ~0.1-0.3 s); other
    projects are not concerned.

Errors: Docker's exceptions pass through; the driver wraps them.
"""

import dataclasses
import hashlib
import ipaddress
import re
import threading
import uuid

from docker import errors as docker_errors
from docker import types as docker_types
import fasteners
from oslo_log import log as logging

from heat_capsule.engine.runtime import spec

LOG = logging.getLogger(__name__)

DEFAULT_SUBNET_POOL = '10.230.0.0/16'
DEFAULT_SUBNET_PREFIX = 24
KIND_PROJECT = 'project'       # io.heat-capsule.network on project networks
KIND_SHARED = 'true'           # ... on the shared network of earlier versions
ICC_OPTION = 'com.docker.network.bridge.enable_icc'

_SAFE_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$')
_SUBNET_NAMESPACE = uuid.UUID('3a4afcee-8129-49c2-b0fa-6bdd586c833f')


class SubnetPoolExhausted(spec.CapsuleRuntimeError):
    """No block of the subnet pool is free for a new project network."""


@dataclasses.dataclass(frozen=True)
class ProjectNetwork:
    id: str
    name: str
    subnet: str                # the IPv4 subnet, CIDR
    subnet_id: str             # make_subnet_id(id, subnet)


def make_subnet_id(network_id, cidr):
    """A stable id for one subnet of a Docker network (Zun's subnet_id)."""
    return str(uuid.uuid5(_SUBNET_NAMESPACE, '%s/%s' % (network_id, cidr)))


def network_name(instance, project_id):
    """Docker name of a project's network (for people; lookups use labels).
    """
    key = project_id if _SAFE_NAME.match(project_id or '') else (
        'p' + hashlib.sha256((project_id or '').encode()).hexdigest()[:16])
    return '%s-%s' % (instance, key)


def blocks(pool, prefix):
    """The candidate subnets: `pool` (IPv4 CIDR) cut into /`prefix` blocks.

    :raises ValueError: `pool` is not an IPv4 network, or `prefix` is
        shorter than its own.
    """
    try:
        network = ipaddress.ip_network(pool, strict=False)
        if network.version != 4:
            raise ValueError('not IPv4')
        return list(network.subnets(new_prefix=prefix))
    except ValueError as e:
        raise ValueError('[isolation] subnet_pool %s cannot be cut into /%s '
                         'IPv4 blocks: %s' % (pool, prefix, e)) from None


def subnets_in_use(api):
    """Every subnet of every Docker network on this host (any owner)."""
    taken = []
    for network in api.networks():
        for config in (network.get('IPAM') or {}).get('Config') or ():
            try:
                taken.append(ipaddress.ip_network(config.get('Subnet'),
                                                  strict=False))
            except (TypeError, ValueError):
                continue
    return taken


def _overlaps_refusal(error):
    return (isinstance(error, docker_errors.APIError)
            and 'overlaps' in str(getattr(error, 'explanation', '') or
                                  error))


class ProjectNetworks:
    """Finds, makes and removes one engine's project networks.

    :param api: callable returning the docker APIClient.
    :param instance: the engine's instance name (owner label).
    :param pool: CIDR the subnets are cut from; `prefix`: their length.
    :param shared_name: name of the shared network of earlier versions.
    """

    def __init__(self, api, instance, pool=DEFAULT_SUBNET_POOL,
                 prefix=DEFAULT_SUBNET_PREFIX, shared_name=None):
        self._api = api
        self.instance = instance
        self.blocks = blocks(pool, prefix)
        self.pool = str(ipaddress.ip_network(pool, strict=False))
        self.prefix = prefix
        self.shared_name = shared_name
        self._owner = '%s=%s' % (spec.LABEL_ENGINE, instance)
        self._lock = threading.Lock()          # guards _users and removals
        self._users = {}                       # project -> sandboxes set up
        self._create_locks = {}
        self._endpoint_locks = {}              # network name -> RW lock
        self._shared_reported = None

    # -- use -------------------------------------------------------------

    def using(self, project_id):
        """Context manager: the project's network is not removed inside.

        Wrap everything from :meth:`ensure` to the sandbox's start in it.
        """
        return _Use(self, project_id)

    def name_of(self, project_id):
        """The Docker name of `project_id`'s network (see
        :func:`network_name`)."""
        return network_name(self.instance, project_id)

    def endpoints(self, name):
        """The endpoint lock of the Docker network called `name`: a
        ``fasteners.ReaderWriterLock``.  Hold ``write_lock()`` around the
        removal of a sandbox on it and ``read_lock()`` around a sandbox's
        start (see "Sandboxes joining and leaving a network" above)."""
        with self._lock:
            return self._endpoint_locks.setdefault(
                name, fasteners.ReaderWriterLock())

    def ensure(self, project_id):
        """The project's network, made (with a free subnet) when missing.

        :returns: ProjectNetwork.
        :raises SubnetPoolExhausted: no free block is left in the pool.
        """
        with self._lock:
            create_lock = self._create_locks.setdefault(project_id,
                                                        threading.Lock())
        with create_lock:
            info = self.find(project_id)
            if info is None:
                self._create(project_id)
                info = self.find(project_id)
            if info is None:
                raise spec.CapsuleRuntimeError(
                    'the network of project %s disappeared right after its '
                    'creation' % project_id)
        return _described(info)

    def find(self, project_id):
        """The inspected network of `project_id`, or None.

        The oldest one wins; a younger duplicate (two creates that raced)
        is removed when nothing uses it.
        """
        found = [n for n in self._api().networks(filters={'label': [
            self._owner, '%s=%s' % (spec.LABEL_NETWORK, KIND_PROJECT),
            '%s=%s' % (spec.LABEL_PROJECT, project_id)]})
            if (n.get('Labels') or {}).get(spec.LABEL_PROJECT) == project_id]
        if not found:
            return None
        found.sort(key=lambda n: (n.get('Created') or '', n['Id']))
        for duplicate in found[1:]:
            self._remove_if_empty(duplicate)
        return self._api().inspect_network(found[0]['Id'])

    def _create(self, project_id):
        """Create the project's network on the first free block."""
        name = network_name(self.instance, project_id)
        labels = {spec.LABEL_ENGINE: self.instance,
                  spec.LABEL_NETWORK: KIND_PROJECT,
                  spec.LABEL_PROJECT: project_id}
        taken = subnets_in_use(self._api())
        refused = 0
        for block in self.blocks:
            if any(block.overlaps(other) for other in taken):
                continue
            try:
                self._api().create_network(
                    name, driver='bridge', labels=labels,
                    options={ICC_OPTION: 'true'},
                    ipam=docker_types.IPAMConfig(pool_configs=[
                        docker_types.IPAMPool(subnet=str(block))]))
            except docker_errors.APIError as e:
                if not _overlaps_refusal(e):
                    raise
                refused += 1      # taken meanwhile, by another engine
                LOG.debug('Subnet %s was taken meanwhile; trying the next',
                          block)
                continue
            LOG.info('Created network %s (%s) for project %s', name, block,
                     project_id)
            return
        raise SubnetPoolExhausted(
            'no free /%d subnet is left in the capsule subnet pool %s '
            '([isolation] subnet_pool) for the network of project %s: the '
            'Docker networks of this host use all %d blocks (%d taken while '
            'looking). Deleting the last capsule of another project frees '
            'one; the operator may widen the pool.'
            % (self.prefix, self.pool, project_id, len(self.blocks),
               refused))

    # -- removal ---------------------------------------------------------

    def release(self, project_id, in_use):
        """Remove the project's network unless `in_use()` says it is used.

        `in_use` (no argument -> bool; the database's view) is called with
        the lock held, so no sandbox set-up (:meth:`using`) can start in
        between.  Docker's own refusal (a container still references it)
        keeps it too.

        :returns: whether a network was removed.
        """
        with self._lock:
            if self._users.get(project_id) or in_use():
                return False
            info = self.find(project_id)
            if info is None or not self._remove_if_empty(info):
                return False
        LOG.info('Removed network %s: project %s has no capsule left',
                 info['Name'], project_id)
        return True

    def collect(self, in_use):
        """Remove this engine's project networks no project uses any more,
        and the shared network of earlier versions once it is empty.

        :param in_use: callable project id -> bool (the database's view).
        :returns: the names of the networks removed.
        """
        removed = []
        for network in self._api().networks(filters={'label': [
                self._owner, '%s=%s' % (spec.LABEL_NETWORK, KIND_PROJECT)]}):
            project_id = (network.get('Labels') or {}).get(
                spec.LABEL_PROJECT)
            if project_id is None:
                continue
            with self._lock:
                if self._users.get(project_id) or in_use(project_id):
                    continue
                if self._remove_if_empty(network):
                    removed.append(network['Name'])
                    LOG.info('Removed network %s: project %s has no '
                             'capsule left', network['Name'], project_id)
        shared = self._shared_network()
        if shared is not None:
            if self._remove_if_empty(shared):
                removed.append(shared['Name'])
                LOG.info('Removed network %s, shared by every capsule '
                         'before project networks: no capsule is left on '
                         'it', shared['Name'])
            else:
                self._report_shared(shared)
        return removed

    def _shared_network(self):
        if not self.shared_name:
            return None
        for network in self._api().networks(names=[self.shared_name]):
            labels = network.get('Labels') or {}
            if (network.get('Name') == self.shared_name
                    and labels.get(spec.LABEL_ENGINE) == self.instance
                    and labels.get(spec.LABEL_NETWORK) == KIND_SHARED):
                return network
        return None

    def _report_shared(self, network):
        left = self._api().containers(all=True, filters={
            'network': network['Id'], 'label': [
                self._owner, '%s=%s' % (spec.LABEL_ROLE,
                                        spec.ROLE_SANDBOX)]})
        if len(left) != self._shared_reported:
            self._shared_reported = len(left)
            LOG.warning(
                '%d capsule(s) are still on network %s, shared by every '
                'project before project networks: they are not isolated '
                'from other projects. Each moves to its project\'s network '
                'the next time its sandbox starts (docker stop hc-<capsule '
                'uuid> moves one now; its address changes).',
                len(left), network['Name'])

    def _remove_if_empty(self, network):
        """Remove `network` if no container, running or not, is on it."""
        api = self._api()
        if api.containers(all=True, filters={'network': network['Id']}):
            return False
        try:
            api.remove_network(network['Id'])
        except docker_errors.NotFound:
            return False
        except docker_errors.APIError as e:   # an endpoint appeared
            LOG.debug('Keeping network %s: %s', network.get('Name'), e)
            return False
        return True


class _Use:
    def __init__(self, owner, project_id):
        self.owner = owner
        self.project_id = project_id

    def __enter__(self):
        with self.owner._lock:
            users = self.owner._users
            users[self.project_id] = users.get(self.project_id, 0) + 1
        return self

    def __exit__(self, *_exc):
        with self.owner._lock:
            users = self.owner._users
            users[self.project_id] -= 1
            if not users[self.project_id]:
                del users[self.project_id]


def _described(info):
    """ProjectNetwork from an inspected network."""
    configs = (info.get('IPAM') or {}).get('Config') or []
    subnets = [c['Subnet'] for c in configs if c.get('Subnet')]
    v4 = [s for s in subnets
          if ipaddress.ip_network(s, strict=False).version == 4]
    if not (v4 or subnets):
        raise spec.CapsuleRuntimeError('network %s has no IP subnet'
                                       % info.get('Name'))
    subnet = (v4 or subnets)[0]
    return ProjectNetwork(id=info['Id'], name=info['Name'], subnet=subnet,
                          subnet_id=make_subnet_id(info['Id'], subnet))


def endpoint_subnet(endpoint):
    """The CIDR of the subnet an endpoint's IPv4 address sits in."""
    return str(ipaddress.ip_interface('%s/%s' % (
        endpoint['IPAddress'], endpoint.get('IPPrefixLen') or 32)).network)
