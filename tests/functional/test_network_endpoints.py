"""Sandboxes leave their network one at a time (runtime/networks.py).

Docker 20.10 can deadlock when two endpoints of one network leave together
(moby/libnetwork#2649), which deleting many capsules of a project at once
used to do.  The driver's Docker calls are recorded while real sandboxes
are started and removed side by side: no two removals of one network
overlap, no start overlaps a removal, and starts still overlap each other.
Docker's calls are widened with a short sleep so that overlaps, if the
driver allowed them, would happen; nothing here is timed.
"""

import concurrent.futures
import threading
import time

from tests.functional.conftest import app

WIDEN = 0.1     # seconds added inside each recorded call


class Recorder:
    """Wraps APIClient methods of one client; keeps (kind, start, end)."""

    def __init__(self, api):
        self.api = api
        self.calls = []
        self._lock = threading.Lock()
        self._wrapped = []

    def wrap(self, method, kind, before=None):
        original = getattr(type(self.api), method)

        def call(*args, **kwargs):
            start = time.monotonic()
            try:
                if before is not None:
                    before()
                time.sleep(WIDEN)
                return original(self.api, *args, **kwargs)
            finally:
                with self._lock:
                    self.calls.append((kind, start, time.monotonic()))
        setattr(self.api, method, call)
        self._wrapped.append(method)

    def restore(self):
        for method in self._wrapped:
            delattr(self.api, method)

    def overlapping(self, kind, other):
        spans = [c for c in self.calls if c[0] == kind]
        others = [c for c in self.calls if c[0] == other]
        return [(a, b) for a in spans for b in others
                if a is not b and a[1] < b[2] and b[1] < a[2]]


def run_all(call, items):
    with concurrent.futures.ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(call, items))


def capsules(new_capsule, count):
    return [new_capsule([app('main', 'sleep', '300')]) for _ in range(count)]


def test_sandboxes_of_one_network_are_removed_one_at_a_time(driver,
                                                            new_capsule):
    made = capsules(new_capsule, 5)
    run_all(driver.ensure_sandbox, made)
    recorder = Recorder(driver._api)
    recorder.wrap('remove_container', 'remove')
    try:
        removed = run_all(driver.remove_capsule, [c.uuid for c in made])
    finally:
        recorder.restore()
    assert removed == [1] * len(made)
    assert len(recorder.calls) == len(made)
    assert recorder.overlapping('remove', 'remove') == []


def test_sandbox_starts_of_one_network_run_side_by_side(
        driver, new_capsule):
    joining = capsules(new_capsule, 3)
    # The starts wait for each other inside Docker's call: were they
    # serialised, the barrier would break and the starts fail.  (No
    # removal runs here: a queued removal makes new starts wait, by
    # design, which this barrier would turn into a stall.)
    together = threading.Barrier(len(joining), timeout=30)
    recorder = Recorder(driver._api)
    recorder.wrap('start', 'start', before=together.wait)
    try:
        states = run_all(driver.ensure_sandbox, joining)
    finally:
        recorder.restore()
    assert [s.status for s in states] == ['Running'] * len(joining)
    assert not together.broken
    assert len(recorder.overlapping('start', 'start')) > 0


def test_a_sandbox_start_never_overlaps_a_removal(driver, new_capsule):
    leaving = capsules(new_capsule, 3)
    run_all(driver.ensure_sandbox, leaving)
    joining = capsules(new_capsule, 3)
    recorder = Recorder(driver._api)
    recorder.wrap('start', 'start')
    recorder.wrap('remove_container', 'remove')
    try:
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            started = [pool.submit(driver.ensure_sandbox, c)
                       for c in joining]
            removed = [pool.submit(driver.remove_capsule, c.uuid)
                       for c in leaving]
            states = [f.result() for f in started]
            assert [f.result() for f in removed] == [1] * len(leaving)
    finally:
        recorder.restore()
    assert [s.status for s in states] == ['Running'] * len(joining)
    assert len([c for c in recorder.calls if c[0] == 'start']) == 3
    assert recorder.overlapping('start', 'remove') == []
    assert recorder.overlapping('remove', 'remove') == []
