"""The engine process's heap, settled once it is built.

After start-up the process holds a large, long-lived heap (SQLAlchemy,
oslo, the docker SDK, WebOb: a few hundred thousand objects) that never
becomes garbage.  Python's cyclic collector still walks all of it at every
full (generation 2) collection, and building one large answer -- a list of
1,000 capsules allocates ~100,000 objects -- sets off such collections:
measured in bench/api_latency.py's setting, about a third of a 1,000-capsule
GET list went to them (docs/benchmarks.md, issue 25).  :func:`settle`
collects what start-up left over, then moves every surviving object to
the permanent generation (:func:`gc.freeze`), which collections skip; only
objects made later, per request or per sync, are ever walked.
"""

import gc


def settle():
    """Collect, then freeze the start-up heap; returns how many objects
    were frozen.  Call once, after the services are built and before
    serving."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
