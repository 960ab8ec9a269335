"""One list call per resync, shared by the syncs it queues.

The periodic resync (and the one after Docker comes back) queues every
capsule.  Each of those syncs used to list its capsule's containers with
a label filter, and Docker answers each such call by walking every
container it has: N capsules cost N walks of ~2N containers per resync
(measured: a filtered list takes 1.0 ms with 2 containers, 3.2 ms with
402).  The resync now lists every capsule container of the engine once
(:meth:`DockerDriver.list_capsules`) and hands each capsule its entries
(:class:`ListedStates`), as kubelet's pod lifecycle event generator
relists once for all pods.

An entry is only used while nothing can have changed it: it is dropped
when an event of the capsule arrives, or when a sync of the capsule starts
or ends (a create or a repair changes Docker), and it is not even kept
when such a thing happened after the list call began.  A sync that finds
no entry lists the capsule itself, as before.
"""

import threading
import time

# Seconds an entry may wait in the queue before its sync lists again.
MAX_AGE = 10.0


class ListedStates:
    """Per capsule, what the resync's list call showed (thread-safe)."""

    def __init__(self, max_age=MAX_AGE, clock=time.monotonic):
        self.max_age = max_age
        self.clock = clock
        self._lock = threading.Lock()
        self._touched = {}        # capsule uuid -> last touch (clock)
        self._entries = {}        # capsule uuid -> (listed_at, entries)

    def touch(self, capsule_uuid):
        """Something may have changed the capsule in Docker (an event, a
        sync starting or ending): what was listed for it is stale."""
        with self._lock:
            self._touched[capsule_uuid] = self.clock()
            self._entries.pop(capsule_uuid, None)

    def offer(self, listed_at, by_capsule):
        """Keep what one list call showed.

        :param listed_at: ``clock()`` read before the call was sent.
        :param by_capsule: {capsule uuid: [list entry]}; a capsule with
            no container has an empty list.
        """
        with self._lock:
            for capsule_uuid, entries in by_capsule.items():
                if self._touched.get(capsule_uuid, float('-inf')) < \
                        listed_at:
                    self._entries[capsule_uuid] = (listed_at, entries)

    def take(self, capsule_uuid):
        """The capsule's listed entries, once, or None (nothing listed,
        touched since, or older than ``max_age`` seconds)."""
        with self._lock:
            item = self._entries.pop(capsule_uuid, None)
        if item is None or self.clock() - item[0] > self.max_age:
            return None
        return item[1]

    def forget(self, capsule_uuid):
        """The capsule is gone from the database and Docker."""
        with self._lock:
            self._touched.pop(capsule_uuid, None)
            self._entries.pop(capsule_uuid, None)

    def __len__(self):
        with self._lock:
            return len(self._entries)
