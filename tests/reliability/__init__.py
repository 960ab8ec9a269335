"""The reliability suite: crashes, Docker restarts, churn, fuzzed input.

``HC_RELIABILITY_SCALE`` (a whole number, default 1) multiplies the work of
every test here: the long variant (``tox -e reliability-long``) runs it at 5.
"""

import os


def scale():
    """How many times the default amount of work to do (at least 1)."""
    return max(1, int(os.environ.get('HC_RELIABILITY_SCALE', '1')))
