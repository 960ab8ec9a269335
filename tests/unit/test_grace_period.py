"""spec.terminationGracePeriodSeconds: which values a template may ask for,
and the grace period a delete then gets (runtime.stopping).

Values are drawn by hypothesis across and around every bound: the schema's
0..86400 and the operator's [runtime] max_termination_grace_period.
"""

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from oslo_config import cfg
import pytest

from heat_capsule.engine import conf as conf_mod
from heat_capsule.engine.runtime import stopping
from heat_capsule.engine import validation

FIELD = 'template.spec.terminationGracePeriodSeconds'


def make_conf(default=None, maximum=None):
    conf = cfg.ConfigOpts()
    conf_mod.register_opts(conf)
    conf([], project='heat-capsule-test')
    if default is not None:
        conf.set_override('default_termination_grace_period', default,
                          'runtime')
    if maximum is not None:
        conf.set_override('max_termination_grace_period', maximum,
                          'runtime')
    return conf


def body(**spec):
    spec.setdefault('containers', [{'image': 'busybox'}])
    return {'template': {'kind': 'capsule', 'metadata': {}, 'spec': spec}}


def grace_of(conf, value):
    """What a create with this value gets: seconds, or the InvalidInput."""
    try:
        template = validation.validate_create_body(
            body(terminationGracePeriodSeconds=value))
        return stopping.requested_grace_period(conf, template)
    except validation.InvalidInput as exc:
        return exc


def test_product_defaults():
    conf = make_conf()
    assert conf.runtime.default_termination_grace_period == 10
    assert conf.runtime.max_termination_grace_period == 300
    template = validation.validate_create_body(body())
    assert stopping.requested_grace_period(conf, template) == 10


@settings(max_examples=400, deadline=None, derandomize=True)
@given(value=st.integers(min_value=-10 ** 6, max_value=10 ** 6)
       | st.sampled_from([0, 1, 299, 300, 301, 86400, 86401, -1]),
       maximum=st.integers(min_value=0, max_value=86400))
def test_integers_are_taken_up_to_the_operator_maximum(value, maximum):
    outcome = grace_of(make_conf(maximum=maximum), value)
    if 0 <= value <= maximum:
        assert outcome == value
    else:
        assert isinstance(outcome, validation.InvalidInput), outcome
        assert outcome.path == FIELD
        if 0 <= value <= 86400:
            assert 'maximum of %d this service allows' % maximum in \
                outcome.message


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.floats(allow_nan=False) | st.text(max_size=5) | st.booleans()
       | st.none() | st.lists(st.integers(), max_size=2)
       | st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))
def test_anything_but_a_whole_number_is_refused(value):
    if isinstance(value, float) and value.is_integer():
        value += 0.5
    outcome = grace_of(make_conf(), value)
    assert isinstance(outcome, validation.InvalidInput), outcome
    assert outcome.path == FIELD


def test_a_whole_float_is_a_whole_number():
    outcome = grace_of(make_conf(), 5.0)
    assert outcome == 5 and isinstance(outcome, int)


def test_the_field_survives_normalisation():
    template = validation.validate_create_body(
        body(terminationGracePeriodSeconds=0))
    assert template['spec']['terminationGracePeriodSeconds'] == 0


@settings(max_examples=200, deadline=None, derandomize=True)
@given(default=st.integers(min_value=0, max_value=86400),
       maximum=st.integers(min_value=0, max_value=86400),
       stored=st.none() | st.integers(min_value=0, max_value=86400))
def test_a_delete_never_waits_past_the_current_maximum(default, maximum,
                                                       stored):
    """A capsule stored without a value (made before grace periods) gets
    the default; an operator who lowers the maximum shortens every delete
    from then on."""
    conf = make_conf(default=default, maximum=maximum)
    wanted = default if stored is None else stored
    assert stopping.grace_period(conf, stored) == min(wanted, maximum)
    template = validation.validate_create_body(body())
    assert stopping.requested_grace_period(conf, template) == \
        min(default, maximum)


@pytest.mark.parametrize('option', ['default_termination_grace_period',
                                    'max_termination_grace_period'])
def test_options_refuse_negative_values(option):
    conf = make_conf()
    with pytest.raises(ValueError):
        conf.set_override(option, -1, 'runtime')
