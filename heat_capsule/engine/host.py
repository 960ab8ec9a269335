"""What the Docker host allows that a template cannot know: its CPU count.

Docker 20.10 refuses a container asking for more CPUs than the host has
("Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"),
so validation needs the count of the Docker engine the runtime drives (which
may be another machine than the API's). It is read with ``docker info`` and
kept for ``TTL`` seconds.
"""

import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

TTL = 60
RETRY = 5       # seconds before asking again after a failure


class HostCPUs:
    """``cpus()``: the Docker host's CPU count, or None when unknown.

    Unknown means no runtime in this process (an API-only engine) or a
    Docker engine that does not answer; the CPU check is then skipped and
    Docker's own refusal puts the capsule in Error with its words.
    """

    def __init__(self, runtime, clock=time.monotonic):
        """``runtime``: a callable returning the process's runtime (the
        services' runtime is set after they are made)."""
        self._runtime = runtime
        self._clock = clock
        self._lock = threading.Lock()
        self._value = None
        self._read_at = None

    def cpus(self):
        driver = getattr(self._runtime(), 'driver', None)
        if driver is None:
            return None
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= TTL:
                try:
                    self._value = driver.host_cpus()
                    self._read_at = now
                except Exception as exc:   # any failure: not known now
                    LOG.debug('Could not read the Docker host CPU count: '
                              '%s', exc)
                    self._value = None
                    self._read_at = now - TTL + RETRY
            return self._value
