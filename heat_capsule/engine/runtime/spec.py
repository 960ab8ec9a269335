"""Plain data passed between the reconciler and the Docker driver.

The driver never sees the database and the reconciler never sees the docker
SDK: these dataclasses are the whole contract between them.
"""

import dataclasses

from heat_capsule import names

LABEL_PREFIX = 'io.heat-capsule.'
LABEL_ENGINE = LABEL_PREFIX + 'engine'            # the owning engine instance
LABEL_CAPSULE = LABEL_PREFIX + 'capsule'          # capsule uuid
LABEL_ROLE = LABEL_PREFIX + 'role'                # sandbox | init | app
LABEL_CONTAINER = LABEL_PREFIX + 'container'      # container uuid
LABEL_VOLUME = LABEL_PREFIX + 'volume'            # volume uuid
LABEL_AUTO_REMOVE = LABEL_PREFIX + 'auto-remove'  # 'true' | 'false'
LABEL_NETWORK = LABEL_PREFIX + 'network'          # on the engine's networks
LABEL_PROJECT = LABEL_PREFIX + 'project'          # on a project network

# What a Docker container of a capsule is (LABEL_ROLE; container rows are
# init or app).
ROLES = (ROLE_SANDBOX, ROLE_INIT, ROLE_APP) = ('sandbox', 'init', 'app')


@dataclasses.dataclass(frozen=True)
class Mount:
    volume_uuid: str      # the engine's volume id (names the Docker volume)
    path: str             # mountPath inside the container
    read_only: bool = False  # volumeMounts[].readOnly


@dataclasses.dataclass(frozen=True)
class Port:
    number: int
    protocol: str = 'tcp'  # 'tcp' | 'udp'
    host_port: int | None = None   # None: an ephemeral host port


def restarts(policy, exit_code):
    """Whether restart `policy` starts again a container that exited with
    `exit_code`: Docker's rule, which the engine also applies itself after
    a daemon restart. `policy` in any spelling of
    names.DOCKER_RESTART_POLICY_OF; None is Zun's default, Always."""
    name = names.DOCKER_RESTART_POLICY_OF.get(
        (policy or names.DOCKER_ALWAYS).lower())
    if name in (names.DOCKER_ALWAYS, names.DOCKER_UNLESS_STOPPED):
        return True
    return name == names.DOCKER_ON_FAILURE and exit_code not in (0, None)


@dataclasses.dataclass(frozen=True)
class Healthcheck:
    """A Docker healthcheck; ``cmd`` runs through the container's shell.

    Stored complete (records.HEALTHCHECK_DEFAULTS fills what a template
    leaves out), so there are no defaults here.
    """
    cmd: str
    interval: int              # seconds between probes
    timeout: int               # seconds one probe may take
    retries: int               # consecutive failures that make it unhealthy
    start_period: int          # seconds of failures that do not count


@dataclasses.dataclass(frozen=True)
class ContainerSpec:
    uuid: str
    name: str
    image: str
    role: str                         # ROLE_INIT or ROLE_APP
    command: tuple = ()               # command + args (Zun), as Docker Cmd
    environment: tuple = ()           # ((key, value), ...)
    workdir: str | None = None
    ports: tuple = ()                 # (Port, ...)
    cpu: float | None = None          # CPUs (Docker nano_cpus = cpu * 1e9)
    memory: int | None = None         # MiB (Docker mem_limit)
    tty: bool = False
    stdin: bool = False
    mounts: tuple = ()                # (Mount, ...)
    # always | ifnotpresent | never
    image_pull_policy: str = 'ifnotpresent'
    healthcheck: Healthcheck | None = None


@dataclasses.dataclass(frozen=True)
class VolumeSpec:
    uuid: str
    auto_remove: bool
    size: float | None = None         # GiB, as requested (see runtime.docker)


@dataclasses.dataclass(frozen=True)
class CapsuleSpec:
    uuid: str
    project_id: str
    restart_policy: str               # names.DOCKER_RESTART_POLICIES
    containers: tuple                 # (ContainerSpec, ...) app containers
    init_containers: tuple = ()       # (ContainerSpec, ...) in run order
    volumes: tuple = ()               # (VolumeSpec, ...)
    hostname: str | None = None
    # Seconds between the stop signal and SIGKILL (runtime.stopping);
    # None: Docker's default (10 s).
    termination_grace_period: int | None = None


@dataclasses.dataclass(frozen=True)
class ContainerState:
    """What Docker says about one container of a capsule."""
    docker_id: str
    role: str
    container_uuid: str | None        # None for the sandbox
    # Zun status: Created, Running, Stopped, Restarting, Paused, Dead,
    # Deleting
    status: str
    exit_code: int | None = None
    status_detail: str | None = None  # e.g. 'Up 5 seconds', 'Exited (0)'
    error: str | None = None          # Docker's State.Error, if any
    # From inspect only; None when the state comes from Docker's container
    # list (not inspected): then these are unknown, not empty.
    restart_count: int | None = 0     # Docker's RestartCount
    started_at: object = None         # naive UTC datetime of the last start
    finished_at: object = None        # naive UTC datetime of the last exit
    oom_killed: bool | None = None    # State.OOMKilled of the last exit
    health: str | None = None         # starting | healthy | unhealthy
    health_output: str | None = None  # the latest probe's, when it failed
    # The sandbox's [Address] when read by an inspect; None: not read.
    addresses: tuple | None = None


@dataclasses.dataclass(frozen=True)
class Address:
    addr: str
    version: int
    network_id: str
    subnet_id: str
    port: str                         # the sandbox's endpoint id


class CapsuleRuntimeError(Exception):
    """A runtime failure with a reason a user can act on (str(e))."""


class DockerUnavailable(CapsuleRuntimeError):
    """The Docker engine did not answer; worth retrying later."""


class ImageUnavailable(CapsuleRuntimeError):
    """An image is not present and could not be pulled."""
