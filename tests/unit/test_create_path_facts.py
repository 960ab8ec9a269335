"""KnownFacts: what Docker confirmed is trusted for a while, then asked
again; a fact shown stale is dropped at once (runtime/create_path.py)."""

from hypothesis import given
from hypothesis import strategies as st

from heat_capsule.engine.runtime import create_path


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_an_image_is_trusted_until_the_ttl_ends():
    clock = Clock()
    facts = create_path.KnownFacts(ttl=30, clock=clock)
    assert not facts.image_present('busybox')
    facts.remember_image('busybox')
    clock.now += 29.9
    assert facts.image_present('busybox')
    clock.now += 0.2
    assert not facts.image_present('busybox')


def test_a_forgotten_image_is_asked_again():
    facts = create_path.KnownFacts(clock=Clock())
    facts.remember_image('busybox')
    facts.forget_image('busybox')
    assert not facts.image_present('busybox')


def test_a_network_is_ensured_once_within_the_ttl_and_per_project():
    clock = Clock()
    facts = create_path.KnownFacts(ttl=30, clock=clock)
    calls = []

    def ensure(project):
        def call():
            calls.append(project)
            return 'net-%s-%d' % (project, len(calls))
        return call

    assert facts.network('a', ensure('a')) == 'net-a-1'
    assert facts.network('a', ensure('a')) == 'net-a-1'
    assert facts.network('b', ensure('b')) == 'net-b-2'
    facts.forget_network('a')
    assert facts.network('a', ensure('a')) == 'net-a-3'
    assert facts.network('b', ensure('b')) == 'net-b-2'
    clock.now += 31
    assert facts.network('b', ensure('b')) == 'net-b-4'
    facts.forget_network()
    assert facts.network('a', ensure('a')) == 'net-a-5'


def test_a_failed_ensure_is_not_remembered():
    facts = create_path.KnownFacts(clock=Clock())

    def refused():
        raise RuntimeError('no subnet left')
    try:
        facts.network('a', refused)
    except RuntimeError:
        pass
    assert facts.network('a', lambda: 'made') == 'made'


@given(st.lists(st.tuples(st.sampled_from(['remember', 'forget', 'wait']),
                          st.sampled_from(['a', 'b']),
                          st.floats(min_value=0, max_value=40)),
                max_size=30))
def test_images_match_a_model(steps):
    """Present exactly when remembered, not forgotten since, within TTL."""
    clock = Clock()
    facts = create_path.KnownFacts(ttl=30, clock=clock)
    model = {}
    for action, image, seconds in steps:
        if action == 'remember':
            facts.remember_image(image)
            model[image] = clock.now
        elif action == 'forget':
            facts.forget_image(image)
            model.pop(image, None)
        else:
            clock.now += seconds
        for name in ('a', 'b'):
            expected = name in model and clock.now - model[name] < 30
            assert facts.image_present(name) == expected


# OwnStarts: the create path's expected 'start' events.

def test_an_expected_start_is_consumed_once():
    starts = create_path.OwnStarts(clock=Clock())
    starts.expect('abc')
    assert starts.consume('abc')
    assert not starts.consume('abc')
    assert not starts.consume('other')


def test_an_expected_start_whose_event_never_came_expires():
    clock = Clock()
    starts = create_path.OwnStarts(ttl=60, clock=clock)
    starts.expect('refused')
    clock.now += 60
    assert not starts.consume('refused')
    starts.expect('a')
    clock.now += 61
    starts.expect('b')          # forgets what expired on the way
    assert len(starts) == 1
    assert starts.consume('b') and not starts.consume('a')


@given(st.lists(st.tuples(st.sampled_from(['expect', 'consume', 'wait']),
                          st.sampled_from(['s', 'a1', 'a2', 'a3']),
                          st.floats(min_value=0, max_value=40)),
                max_size=60))
def test_own_starts_behave_like_a_set_with_deadlines(steps):
    """Against a model: an id is consumed (True) exactly when it was
    expected within the last ttl seconds and not consumed since; after an
    expect, the registry holds just the ids still awaited (the expired
    ones are dropped)."""
    clock = Clock()
    starts = create_path.OwnStarts(ttl=30, clock=clock)
    model = {}
    for op, docker_id, seconds in steps:
        if op == 'expect':
            starts.expect(docker_id)
            model[docker_id] = clock.now + 30
            assert len(starts) == sum(1 for due in model.values()
                                      if due > clock.now)
        elif op == 'consume':
            due = model.pop(docker_id, None)
            assert starts.consume(docker_id) == (
                due is not None and due > clock.now)
        else:
            clock.now += seconds
