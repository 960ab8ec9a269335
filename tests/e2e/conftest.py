"""pytest set-up for the end-to-end tests.

The end-to-end tests are the slowest; they run after every other suite of
the session, so the quick ones report first.
"""


def pytest_collection_modifyitems(session, config, items):
    here = __name__.rsplit('.', 1)[0] + '.'
    e2e = [item for item in items
           if (getattr(item, 'module', None) is not None
               and item.module.__name__.startswith(here))]
    if e2e:
        moved = {id(item) for item in e2e}
        rest = [item for item in items if id(item) not in moved]
        items[:] = rest + e2e
