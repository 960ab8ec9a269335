"""Measure an engine's API latency while something else happens.

``LatencyProbe(urls, headers).start()`` GETs each URL in turn, one request
every `interval` seconds, on one connection, until ``stop()``, which
returns the summary in milliseconds (``bench.stats`` shape: n, median, p99,
min, max) plus ``errors``, the answers that were not 2xx or did not come
at all. The probe runs in a process of its own (spawned), so what it
measures is the engine, not the test's own threads competing for the
test's interpreter. Figures only: tests print them and docs/benchmarks.md
records them; no test asserts a time.
"""

import multiprocessing
import time

import requests

from bench import stats


def _probe(urls, headers, interval, timeout, ready, stop, results):
    """The probing loop, in a process of its own: the test's threads (and
    its GIL) never delay a measurement. One unmeasured request opens the
    connection; then `ready` is set."""
    latencies, errors, index = [], 0, 0
    with requests.Session() as session:
        try:
            session.get(urls[0], headers=headers, timeout=timeout)
        except requests.RequestException:
            pass
        ready.set()
        while not stop.is_set():
            url = urls[index % len(urls)]
            index += 1
            started = time.monotonic()
            try:
                ok = session.get(url, headers=headers, timeout=timeout).ok
            except requests.RequestException:
                ok = False
            latencies.append(time.monotonic() - started)
            errors += not ok
            stop.wait(interval)
    results.put((latencies, errors))


class LatencyProbe:
    def __init__(self, urls, headers=None, interval=0.05, timeout=10):
        context = multiprocessing.get_context('spawn')
        self.timeout = timeout
        self._ready = context.Event()
        self._stop = context.Event()
        self._results = context.Queue()
        self._process = context.Process(
            target=_probe, daemon=True, name='latency-probe',
            args=(list(urls), dict(headers or {}), interval, timeout,
                  self._ready, self._stop, self._results))
        self._summary = None

    def start(self):
        """Start probing; return once the first request was answered."""
        self._process.start()
        if not self._ready.wait(60):
            raise RuntimeError('the latency probe did not start')
        return self

    def stop(self):
        """Stop; return the summary in ms and the error count (the same
        one when called again)."""
        if self._summary is None:
            self._stop.set()
            latencies, errors = self._results.get(timeout=self.timeout + 30)
            self._process.join(30)
            found = stats.summary([s * 1000 for s in latencies]) \
                if latencies else {'n': 0}
            found['errors'] = errors
            self._summary = found
        return self._summary


def measure(urls, headers, seconds, interval=0.05):
    """The summary of `seconds` of probing (an idle baseline, say)."""
    probe = LatencyProbe(urls, headers, interval).start()
    time.sleep(seconds)
    return probe.stop()


def describe(name, summary):
    """One line: 'name: n=.. median .. ms p99 .. ms max .. ms errors ..'."""
    if not summary.get('n'):
        return '%s: no requests' % name
    return ('%s: n=%d median %.1f ms p99 %.1f ms max %.1f ms errors %d'
            % (name, summary['n'], summary['median'], summary['p99'],
               summary['max'], summary['errors']))
