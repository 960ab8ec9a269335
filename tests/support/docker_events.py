"""Docker's container events, followed live while a test acts.

Docker answers a query for past events (``since``) from the last 256 events
it keeps in memory (moby's daemon/events, ``eventsLimit``). On a daemon
busy with other work (the other pytest-xdist workers, other engines) a
test's own events fall out of that buffer within seconds, so a test that
reads them back afterwards misses some. An :class:`EventLog` subscribes
before the test acts and keeps the stream as it comes.
"""

import threading
import time

from heat_capsule.engine.runtime import spec as rspec


class EventLog:
    """Container events with the label `label` (``key=value``), from the
    moment this is made until :meth:`close` (also a context manager)."""

    def __init__(self, client, label):
        # The request is made here: Docker has subscribed when this returns.
        self._stream = client.api.events(decode=True, filters={
            'type': 'container', 'label': label})
        self._events = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self):
        try:
            for event in self._stream:
                with self._changed:
                    self._events.append(event)
                    self._changed.notify_all()
        except Exception:   # noqa: the stream is closed at the end
            return

    def _of(self, capsule_uuid):
        found = []
        for event in self._events:
            attributes = event['Actor']['Attributes']
            if attributes.get(rspec.LABEL_CAPSULE) != capsule_uuid:
                continue
            who = attributes['name'].split('%s-' % capsule_uuid, 1)[-1]
            if attributes.get(rspec.LABEL_ROLE) == rspec.ROLE_SANDBOX:
                who = 'sandbox'
            found.append((event['timeNano'] / 1e9, event['Action'], who,
                          attributes))
        return found

    def events(self, capsule_uuid, until, timeout=30):
        """``(seconds, action, role or container name, attributes)`` of the
        capsule's containers, oldest first, once every ``(action, who)``
        pair of `until` is among them.

        :raises AssertionError: not all of `until` within `timeout` s.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self._of(capsule_uuid)
                seen = {(action, who) for _, action, who, _ in found}
                if seen.issuperset(until):
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError('events %s of capsule %s not seen '
                                         'within %ss; seen: %s' % (
                                             sorted(set(until) - seen),
                                             capsule_uuid, timeout,
                                             sorted(seen)))
                self._changed.wait(left)

    def close(self):
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
