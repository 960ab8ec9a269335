"""Docker's container events of capsules: which ones, and their stream.

The action names are declared here once: ``ACTIONS`` is what
``DockerDriver.events()`` follows by default, ``SYNC_ACTIONS`` those after
which the reconciler syncs a capsule, ``TIMING_ACTIONS`` those after which
it inspects the capsule's containers again for their timestamps, restart
count and OOM kill. (``health_status`` makes the daemon match prefixes:
``health_status: healthy``.)
"""

from docker import errors as docker_errors
from oslo_log import log as logging
import requests
import urllib3

from heat_capsule.engine.runtime import spec

LOG = logging.getLogger(__name__)

# Container events that can concern a capsule; exec_*, attach, resize,
# top... are noise to the engine and are filtered out by the daemon.
ACTIONS = (
    CREATE, START, RESTART, DIE, OOM, KILL, STOP, PAUSE, UNPAUSE, DESTROY,
    RENAME, UPDATE, HEALTH_STATUS,
) = (
    'create', 'start', 'restart', 'die', 'oom', 'kill', 'stop', 'pause',
    'unpause', 'destroy', 'rename', 'update', 'health_status',
)
# Those that can change what a capsule looks like (the reconciler's).
SYNC_ACTIONS = (START, DIE, DESTROY, OOM, PAUSE, UNPAUSE, RESTART,
                HEALTH_STATUS)
# Those after which a capsule's containers are inspected again.
TIMING_ACTIONS = (START, DIE, RESTART, OOM)


class Event(tuple):
    """One container event: the pair (capsule_uuid, action), with
    ``container_uuid`` (None for a sandbox), ``docker_id`` (the container's
    Docker id, or None) and ``exit_code`` (the int of a 'die' event, else
    None) as attributes. Docker's 'die' event is the one place the exit
    code of a container that its restart policy starts again at once can be
    read: inspect shows 0 again after the restart."""

    def __new__(cls, capsule_uuid, action, attributes=None, docker_id=None):
        event = super().__new__(cls, (capsule_uuid, action))
        attributes = attributes or {}
        event.docker_id = docker_id
        event.container_uuid = attributes.get(spec.LABEL_CONTAINER)
        try:
            event.exit_code = int(attributes['exitCode'])
        except (KeyError, TypeError, ValueError):
            event.exit_code = None
        return event


class EventStream:
    """Iterator over the Events of a Docker event stream that knows why it
    ended: ``unavailable(reason)`` makes the DockerUnavailable it raises
    when the stream breaks or ends, unless ``close()`` was called."""

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
                             or event.get('status'), attributes,
                             docker_id=actor.get('ID') or event.get('id'))

    def close(self):
        """Stop the stream; a blocked iteration then stops too."""
        self._closed = True
        try:
            self._stream.close()
        except Exception:   # already closed, or half-torn-down socket
            LOG.debug('Closing the event stream failed', exc_info=True)
