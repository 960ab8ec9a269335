"""ListedStates: the resync's one list call, shared by the syncs it queues
(runtime/listing.py).  Checked against a model over drawn interleavings of
list calls, events and syncs, with a fake clock."""

from hypothesis import given
from hypothesis import strategies as st

from heat_capsule.engine.runtime import listing


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_an_entry_is_used_once():
    listed = listing.ListedStates(clock=Clock())
    listed.offer(listed.clock(), {'a': ['entry'], 'b': []})
    assert listed.take('a') == ['entry']
    assert listed.take('a') is None
    assert listed.take('b') == []
    assert listed.take('c') is None


def test_a_touch_during_the_list_call_keeps_nothing():
    clock = Clock()
    listed = listing.ListedStates(clock=clock)
    listed_at = clock()
    clock.now += 0.01
    listed.touch('a')               # an event while Docker answered
    listed.offer(listed_at, {'a': ['old'], 'b': ['fine']})
    assert listed.take('a') is None
    assert listed.take('b') == ['fine']


def test_a_touch_after_the_offer_drops_the_entry():
    listed = listing.ListedStates(clock=Clock())
    listed.offer(listed.clock(), {'a': ['old']})
    listed.touch('a')
    assert listed.take('a') is None


def test_an_entry_too_old_is_not_used():
    clock = Clock()
    listed = listing.ListedStates(max_age=10, clock=clock)
    listed.offer(clock(), {'a': ['old']})
    clock.now += 10.5
    assert listed.take('a') is None


CAPSULES = ['a', 'b', 'c']
STEPS = st.lists(st.one_of(
    st.tuples(st.just('list'), st.lists(st.sampled_from(CAPSULES),
                                        unique=True),
              st.sampled_from(CAPSULES + [None])),
    st.tuples(st.just('touch'), st.sampled_from(CAPSULES), st.none()),
    st.tuples(st.just('take'), st.sampled_from(CAPSULES), st.none()),
    st.tuples(st.just('forget'), st.sampled_from(CAPSULES), st.none()),
    st.tuples(st.just('wait'), st.floats(0, 6), st.none())), max_size=50)


@given(STEPS)
def test_an_entry_is_used_only_if_nothing_touched_the_capsule_since_the_list(
        steps):
    """The model: a list call starts at t0 and is offered later (a touch
    may fall in between, the drawn third element); take() returns the
    offered entries exactly when they were offered, the capsule was not
    touched at or after t0, nobody took or forgot them since, and they are
    at most max_age old."""
    clock = Clock()
    listed = listing.ListedStates(max_age=10, clock=clock)
    touched = {}
    kept = {}
    serial = 0
    for op, arg, between in steps:
        if op == 'list':
            serial += 1
            listed_at = clock()
            clock.now += 0.001
            if between is not None:        # an event while Docker answers
                listed.touch(between)
                touched[between] = clock()
                kept.pop(between, None)
            clock.now += 0.001
            offered = {uuid: ['list %d' % serial] for uuid in arg}
            listed.offer(listed_at, offered)
            for uuid, entries in offered.items():
                if touched.get(uuid, float('-inf')) < listed_at:
                    kept[uuid] = (listed_at, entries)
        elif op == 'touch':
            listed.touch(arg)
            touched[arg] = clock()
            kept.pop(arg, None)
        elif op == 'take':
            item = kept.pop(arg, None)
            wanted = None if item is None or clock() - item[0] > 10 \
                else item[1]
            assert listed.take(arg) == wanted
        elif op == 'forget':
            listed.forget(arg)
            touched.pop(arg, None)
            kept.pop(arg, None)
        else:
            clock.now += arg
        assert len(listed) == len(kept)
