"""What Docker enforces on every container of a capsule: PIDs and log caps.

Each container the engine makes (the sandbox, init and app containers) gets
the same two limits in its HostConfig, from ``[limits]`` of the engine's
configuration (see ``heat_capsule.engine.conf.limits_opts``):

``PidsLimit``
    ``pids_limit`` processes and threads at once, counted by the
    container's pids cgroup (Kubernetes' pod PIDs limit, per container
    here, since Docker gives each container its own cgroup).  A fork bomb
    stops at the limit: fork() fails with EAGAIN inside the container,
    nothing outside it notices, and ``docker rm -f`` still kills the lot.

``LogConfig``
    Docker's ``json-file`` driver with ``max-size`` = ``log_max_size`` MiB
    and ``max-file`` = ``log_max_files`` (Kubernetes' containerLogMaxSize
    and containerLogMaxFiles).  Docker rotates the file when it reaches the
    size and drops the oldest; ``docker logs`` (and so the engine's logs
    call) reads the kept files, newest lines last, so a container's log
    takes at most about ``log_max_size * log_max_files`` MiB of Docker's
    disk.  The driver is set explicitly so that a daemon whose default log
    driver is another one still rotates, and the engine can still read the
    logs.  Rotated files are not compressed: reading them back stays cheap.

The template has no field for either: they are the operator's, not the
tenant's.
"""

import dataclasses

LOG_DRIVER = 'json-file'

DEFAULT_PIDS_LIMIT = 1024
DEFAULT_LOG_MAX_SIZE = 10      # MiB
DEFAULT_LOG_MAX_FILES = 3


@dataclasses.dataclass(frozen=True)
class ContainerLimits:
    """The limits put on each container.

    :param pids_limit: processes and threads at once (>= 1).
    :param log_max_size: MiB per json-file log before rotation (>= 1).
    :param log_max_files: log files kept, the current one included (>= 1).
    """
    pids_limit: int = DEFAULT_PIDS_LIMIT
    log_max_size: int = DEFAULT_LOG_MAX_SIZE
    log_max_files: int = DEFAULT_LOG_MAX_FILES

    @classmethod
    def from_conf(cls, conf):
        """The limits of ``[limits]`` in an engine's ConfigOpts."""
        group = conf.limits
        return cls(pids_limit=group.pids_limit,
                   log_max_size=group.log_max_size,
                   log_max_files=group.log_max_files)

    def log_config(self):
        """Docker's LogConfig: ``{'Type': 'json-file', 'Config': {...}}``."""
        return {'Type': LOG_DRIVER,
                'Config': {'max-size': '%dm' % self.log_max_size,
                           'max-file': str(self.log_max_files)}}

    def host_config(self):
        """Keyword arguments for the docker SDK's ``create_host_config``."""
        return {'pids_limit': self.pids_limit,
                'log_config': self.log_config()}

    @property
    def log_cap_bytes(self):
        """Most bytes Docker keeps of one container's log (about)."""
        return self.log_max_size * self.log_max_files * 1024 * 1024
