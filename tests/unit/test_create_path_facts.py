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
