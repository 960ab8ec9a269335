"""Quotas, host capacity and default requests: what a create may take.

Three rules guard ``POST /v1/capsules``; all run before anything exists:

* **Default requests** (Kubernetes' LimitRange idea): a container without
  ``resources.requests.cpu`` / ``.memory`` gets ``[compute] default_cpu`` /
  ``default_memory``; they become its Docker limits and count below.
* **Quotas** (Zun's resources, defaults and API): per project, ``containers``
  (every init and app container), ``cpu`` (CPUs) and ``memory`` (MiB) (the
  capsules' totals, Zun's rule: the app containers' sum, raised to any larger
  init container) and ``disk`` (GiB of the volumes it created, kept ones
  included). A limit comes from the project's own row, else the ``default``
  quota class, else ``[quota]``; -1 is unlimited. Over a limit: 403
  ``OverQuota`` naming each resource with its limit, usage and request.
* **Capacity** (Zun's compute node): the engine's capsules may request at
  most ``(host - reserved) x allocation ratio`` CPUs and MiB of the Docker
  host. Over it: ``InsufficientCapacity`` (409, see handlers.capsule), with
  the figures.

The checks run inside the create's database transaction, after taking the
admission lock (``db.quota.lock_admissions``), so concurrent creates are
admitted one at a time and can never overshoot together.
"""

import logging
import threading
import time

from heat_capsule.engine.db import models
from heat_capsule.engine.db import quota as quota_db

LOG = logging.getLogger(__name__)

# Zun's quota resources, in the order its API lists them.
CONTAINERS, MEMORY, CPU, DISK = RESOURCES = ('containers', 'memory', 'cpu',
                                             'disk')
UNITS = {CONTAINERS: '', MEMORY: ' MiB', CPU: ' CPUs', DISK: ' GiB'}
UNLIMITED = -1
# The quota class whose rows replace the [quota] defaults (Zun's name).
DEFAULT_CLASS = 'default'
# Seconds a Docker host's CPUs and memory are cached (they rarely change).
HOST_FIGURES_TTL = 60


def show(value):
    """A usage or request as the API shows it: int when whole, else a float
    rounded to 3 decimals (Zun rounds CPU usage so)."""
    value = round(float(value), 3)
    return int(value) if value.is_integer() else value


def _amount(resource, value):
    return '%s%s' % (show(value), UNITS[resource])


class OverQuota(Exception):
    """The create would take a project over one or more of its limits.

    ``overs``: [(resource, limit, in_use, requested)], in RESOURCES order.
    """

    def __init__(self, project_id, overs):
        self.project_id = project_id
        self.overs = overs
        parts = ['%s (limit %s, in use %s, requested %s)' % (
            resource, _amount(resource, limit), _amount(resource, in_use),
            _amount(resource, requested))
            for resource, limit, in_use, requested in overs]
        super().__init__('Quota exceeded for resources: %s of project %s.'
                         % ('; '.join(parts), project_id))


class InsufficientCapacity(Exception):
    """The Docker host cannot hold the capsule's requests (str: why)."""


# --- default requests --------------------------------------------------------

def default_requests(conf):
    """(cpu, memory) a container without requests gets; None for 0."""
    return (conf.compute.default_cpu or None,
            conf.compute.default_memory or None)


# --- limits ------------------------------------------------------------------

def configured_defaults(conf):
    return {resource: getattr(conf.quota, resource) for resource in RESOURCES}


def default_limits(conf, db):
    """The limits a project without rows of its own has."""
    limits = configured_defaults(conf)
    limits.update(_known(db.class_quotas(DEFAULT_CLASS)))
    return limits


def class_limits(conf, db, class_name):
    """A quota class's limits, the configured default where it sets none
    (Zun shows a class that way, even one that has no row at all)."""
    limits = configured_defaults(conf)
    limits.update(_known(db.class_quotas(class_name)))
    return limits


def project_limits(conf, db, project_id):
    limits = default_limits(conf, db)
    limits.update(_known(db.project_quotas(project_id)))
    return limits


def _known(rows):
    return {k: v for k, v in rows.items() if k in RESOURCES}


def _limits_in(session, conf, project_id):
    """project_limits, read in the admission transaction."""
    limits = configured_defaults(conf)
    limits.update(_known(quota_db.limit_rows(
        session, models.QuotaClass, models.QuotaClass.class_name,
        DEFAULT_CLASS)))
    limits.update(_known(quota_db.limit_rows(
        session, models.Quota, models.Quota.project_id, project_id)))
    return limits


# --- what a capsule asks for -------------------------------------------------

def request_of(capsule, new_volumes):
    """What a new capsule counts against quota, as RESOURCES -> amount."""
    return {CONTAINERS: len(capsule.containers),
            MEMORY: int(capsule.memory or 0),
            CPU: float(capsule.cpu or 0),
            DISK: float(sum(v.size or 0 for v in new_volumes))}


def over_quota(limits, usage, request):
    """[(resource, limit, in_use, requested)] for each limit exceeded."""
    overs = []
    for resource in RESOURCES:
        limit, asked = limits[resource], request.get(resource, 0)
        if limit == UNLIMITED or not asked:
            continue
        # Rounded like the figures shown, so 0.1 + 0.2 fits a limit of 0.3.
        if round(usage[resource] + asked, 6) > limit:
            overs.append((resource, limit, usage[resource], asked))
    return overs


# --- the Docker host ---------------------------------------------------------

_HOST_CACHE = {}
_HOST_LOCK = threading.Lock()


def _docker_figures(docker_url):
    """(CPUs, MiB) from ``docker info``, cached for HOST_FIGURES_TTL (a
    failure too, so a Docker that is down is not asked on every create);
    None when Docker cannot tell and never told before."""
    now = time.monotonic()
    with _HOST_LOCK:
        cached = _HOST_CACHE.get(docker_url)
        if cached and now - cached[0] < HOST_FIGURES_TTL:
            return cached[1]
    try:
        # Imported here: an API-only engine that has both figures in its
        # configuration never loads the docker SDK.
        import docker
        client = docker.DockerClient(base_url=docker_url, timeout=5)
        try:
            info = client.info()
        finally:
            client.close()
        figures = (int(info['NCPU']), int(info['MemTotal']) // (1024 * 1024))
    except Exception as exc:  # noqa: Docker down or odd: keep what we knew
        LOG.warning('Cannot read the Docker host\'s CPUs and memory (%s); '
                    'capacity is checked against the last figures known',
                    exc)
        figures = cached[1] if cached else None
    with _HOST_LOCK:
        _HOST_CACHE[docker_url] = (now, figures)
    return figures


class Capacity:
    """What the engine's capsules may request in total on the Docker host.

    ``cpus``/``memory``: the host's CPUs and MiB; the rest are the
    ``[compute]`` options. Capacity is ``(host - reserved) x ratio``.
    """

    def __init__(self, cpus, memory, conf):
        compute = conf.compute
        self.cpus, self.memory = cpus, memory
        self.reserved_cpus = compute.reserved_host_cpus
        self.reserved_memory = compute.reserved_host_memory_mb
        self.cpu_ratio = compute.cpu_allocation_ratio
        self.ram_ratio = compute.ram_allocation_ratio
        self.cpu_total = max(cpus - self.reserved_cpus, 0) * self.cpu_ratio
        self.memory_total = int(max(memory - self.reserved_memory, 0)
                                * self.ram_ratio)

    @classmethod
    def of_host(cls, conf):
        """The configured figures, else Docker's; None if neither is
        known (the create is then not held back: it waits for Docker)."""
        cpus, memory = conf.compute.host_cpus, conf.compute.host_memory_mb
        if cpus is None or memory is None:
            figures = _docker_figures(conf.runtime.docker_url)
            if figures is None:
                return None
            cpus = cpus if cpus is not None else figures[0]
            memory = memory if memory is not None else figures[1]
        return cls(cpus, memory, conf)

    def check(self, used_cpu, used_memory, cpu, memory):
        """Raise InsufficientCapacity unless cpu/memory fit beside the
        requests already admitted."""
        problems = []
        free_memory = self.memory_total - used_memory
        if memory and memory > free_memory:
            problems.append(
                'memory: the capsule needs %s MiB, %s MiB free of %s MiB '
                '((%s MiB of the Docker host - %s MiB reserved) x '
                'ram_allocation_ratio %s)' % (
                    show(memory), show(max(free_memory, 0)),
                    show(self.memory_total), self.memory,
                    self.reserved_memory, show(self.ram_ratio)))
        free_cpu = self.cpu_total - used_cpu
        if cpu and round(cpu, 6) > round(free_cpu, 6):
            problems.append(
                'cpu: the capsule needs %s CPUs, %s CPUs free of %s CPUs '
                '((%s CPUs of the Docker host - %s reserved) x '
                'cpu_allocation_ratio %s)' % (
                    show(cpu), show(max(free_cpu, 0)), show(self.cpu_total),
                    self.cpus, self.reserved_cpus, show(self.cpu_ratio)))
        if problems:
            raise InsufficientCapacity(
                'Insufficient compute resources: %s.' % '; '.join(problems))


# --- admission ---------------------------------------------------------------

def admission(conf, project_id, request):
    """The check ``Database.create_capsule(admission=...)`` runs first.

    Reads the host figures now (a Docker call must not hold the lock),
    then, in the create's transaction: takes the admission lock, counts the
    project's usage and the host's, and raises OverQuota or
    InsufficientCapacity.
    """
    capacity = Capacity.of_host(conf)

    def check(session):
        quota_db.lock_admissions(session)
        limits = _limits_in(session, conf, project_id)
        counted = [r for r in RESOURCES
                   if limits[r] != UNLIMITED and request[r]]
        overs = over_quota(limits, quota_db.project_usage(
            session, project_id, counted), request)
        if overs:
            raise OverQuota(project_id, overs)
        if capacity is not None:
            used_cpu, used_memory = quota_db.host_usage(session)
            capacity.check(used_cpu, used_memory, request[CPU],
                           request[MEMORY])
    return check
