"""Measure an engine's API latency while something else happens.

``LatencyProbe(urls, headers).start()`` GETs each URL in turn, one request
every `interval` seconds, on its own thread and connection, until
``stop()``, which returns the summary in milliseconds (``bench.stats``
shape: n, median, p99, min, max) plus ``errors``, the answers that were not
2xx or did not come at all. Figures only: tests print them and
docs/benchmarks.md records them; no test asserts a time.
"""

import threading
import time

import requests

from bench import stats


class LatencyProbe:
    def __init__(self, urls, headers=None, interval=0.05, timeout=10):
        self.urls = list(urls)
        self.headers = dict(headers or {})
        self.interval = interval
        self.timeout = timeout
        self.latencies = []   # seconds
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='latency-probe')

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        session = requests.Session()
        index = 0
        while not self._stop.is_set():
            url = self.urls[index % len(self.urls)]
            index += 1
            started = time.monotonic()
            try:
                ok = session.get(url, headers=self.headers,
                                 timeout=self.timeout).ok
            except requests.RequestException:
                ok = False
            self.latencies.append(time.monotonic() - started)
            self.errors += not ok
            self._stop.wait(self.interval)
        session.close()

    def stop(self):
        """Stop; return the summary in ms and the error count."""
        self._stop.set()
        self._thread.join(self.timeout + 5)
        found = stats.summary([s * 1000 for s in self.latencies]) \
            if self.latencies else {'n': 0}
        found['errors'] = self.errors
        return found


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
