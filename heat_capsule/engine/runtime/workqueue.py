"""A keyed work queue: each capsule is synced by one worker at a time.

Submitting a key that is queued is a no-op; submitting one that a worker is
syncing marks it dirty, and it is queued again when that sync ends. So every
event leads to at least one sync that starts after it, and no two syncs of
one capsule ever overlap (the property kubelet's pod workers give).
"""

import collections
import heapq
import itertools
import threading
import time


class KeyedQueue:
    def __init__(self):
        self._cond = threading.Condition()
        self._order = collections.deque()
        self._queued = set()
        self._active = set()
        self._dirty = set()
        self._delayed = []          # heap of (due, seq, key)
        self._seq = itertools.count()
        self._closed = False

    def submit(self, key):
        with self._cond:
            self._submit_locked(key)

    def _submit_locked(self, key):
        if key in self._active:
            self._dirty.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._order.append(key)
            self._cond.notify()

    def submit_later(self, key, delay):
        with self._cond:
            heapq.heappush(self._delayed,
                           (time.monotonic() + delay, next(self._seq), key))
            self._cond.notify()

    def _release_due_locked(self):
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, key = heapq.heappop(self._delayed)
            self._submit_locked(key)
        return self._delayed[0][0] - now if self._delayed else None

    def get(self):
        """The next key to sync, or None once the queue is closed."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                wait = self._release_due_locked()
                if self._order:
                    key = self._order.popleft()
                    self._queued.discard(key)
                    self._active.add(key)
                    return key
                self._cond.wait(wait)

    def done(self, key):
        with self._cond:
            self._active.discard(key)
            if key in self._dirty:
                self._dirty.discard(key)
                self._submit_locked(key)

    def active(self):
        """The keys being synced right now (a set)."""
        with self._cond:
            return set(self._active)

    def idle(self):
        with self._cond:
            return not (self._order or self._active)

    def close(self):
        with self._cond:
            self._closed = True
            self._cond.notify_all()
