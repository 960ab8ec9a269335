"""[limits]: the port bound at create time (many drawn templates through the
API), the PIDs and log options Docker gets, and their defaults.

The Docker side (``docker inspect`` of every container kind, the fork bomb,
the log flood) is in tests/functional/test_limits.py.
"""

import json
import uuid

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from oslo_config import cfg
import pytest
import webob

from heat_capsule.engine import capsule_limits
from heat_capsule.engine import cmd
from heat_capsule.engine import conf as conf_mod
from heat_capsule.engine.runtime import limits
from heat_capsule.engine import validation
from tests.support import wsgi as wsgi_support


@pytest.fixture(scope='module')
def app(tmp_path_factory):
    return wsgi_support.detached_app(tmp_path_factory.mktemp('limits'))


def _post(app, body, project='ports'):
    req = webob.Request.blank('/v1/capsules', method='POST')
    req.headers['X-Project-Id'] = project
    req.headers['OpenStack-API-Version'] = 'container 1.40'
    req.content_type = 'application/json'
    req.body = json.dumps(body).encode()
    return req.get_response(app)


def _count(app, project='ports'):
    req = webob.Request.blank('/v1/capsules')
    req.headers['X-Project-Id'] = project
    return len(req.get_response(app).json['capsules'])


PORT = st.fixed_dictionaries(
    {'containerPort': st.integers(1, 65535)},
    optional={'protocol': st.sampled_from(['TCP', 'UDP']),
              'name': st.sampled_from(['web', 'dns', 'p-1'])})
CONTAINER = st.lists(PORT, max_size=24).map(
    lambda ports: {'image': 'busybox', 'ports': ports} if ports
    else {'image': 'busybox'})


def _expected_field(containers, init_containers, limit):
    """The path the 400 must name: the first port item past `limit`."""
    seen = 0
    for group, items in (('containers', containers),
                         ('initContainers', init_containers)):
        for i, item in enumerate(items):
            for j in range(len(item.get('ports', ()))):
                if seen == limit:
                    return 'template.spec.%s[%d].ports[%d]' % (group, i, j)
                seen += 1
    return None


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(containers=st.lists(CONTAINER, min_size=1, max_size=4),
       init_containers=st.lists(CONTAINER, max_size=2),
       limit=st.integers(0, 64), as_string=st.booleans())
def test_port_bound_through_the_api(app, containers, init_containers, limit,
                                    as_string):
    """Any template: 400 naming the first port over the limit exactly when
    the capsule declares more ports than [limits] max_ports_per_capsule,
    and nothing stored; else 202."""
    app.services.conf.set_override('max_ports_per_capsule', limit, 'limits')
    # A project per example, so no quota of the engine gets in the way.
    project = 'ports-%s' % uuid.uuid4().hex
    template = {'kind': 'capsule', 'metadata': {},
                'spec': {'containers': containers}}
    if init_containers:
        template['spec']['initContainers'] = init_containers
    total = sum(len(c.get('ports', ())) for c in containers + init_containers)
    resp = _post(app, {'template': json.dumps(template) if as_string
                       else template}, project)
    if total <= limit:
        assert resp.status_int == 202, resp.text
        assert _count(app, project) == 1
        # Gone, as the reconciler would leave it: nothing accumulates
        # against the engine's capacity over the examples.
        app.services.db.purge_capsule(resp.json['uuid'])
        return
    assert resp.status_int == 400, resp.text
    error = resp.json['errors'][0]
    assert error['code'] == 'container.schema-validation-error'
    field = _expected_field(containers, init_containers, limit)
    assert error['detail'] == (
        "Invalid input for field '%s': a capsule may declare at most %d "
        'ports (this one declares %d over its containers and init '
        'containers)' % (field, limit, total))
    assert _count(app, project) == 0


def test_a_port_flood_is_refused_before_the_schema_runs(app, monkeypatch):
    """20,000 ports (about 1 MiB): 400 without the schema validation, which
    takes seconds for such a body."""
    app.services.conf.set_override('max_ports_per_capsule', 32, 'limits')

    def fail(*_args):
        raise AssertionError('the schema validation ran')

    monkeypatch.setattr(validation, 'validate_create_body', fail)
    ports = [{'containerPort': 1 + i % 65535} for i in range(20000)]
    resp = _post(app, {'template': {
        'kind': 'capsule', 'metadata': {},
        'spec': {'containers': [{'image': 'busybox', 'ports': ports}]}}})
    assert resp.status_int == 400
    assert "'template.spec.containers[0].ports[32]'" in resp.text


@pytest.mark.parametrize('body', [
    None, [], 'x', {'template': '[1'}, {'template': {'spec': []}},
    {'template': {'spec': {'containers': {'ports': [1] * 99}}}},
    {'template': {'spec': {'containers': [1, {'ports': 'x' * 99}]}}}])
def test_bodies_that_are_not_templates_are_left_to_the_schema(body):
    capsule_limits.check_ports(body, 0)   # no error: the schema reports


def test_limits_reach_docker_host_config():
    conf = cmd.prepare([], cfg.ConfigOpts(), setup_logging=False)
    conf.set_override('pids_limit', 77, 'limits')
    conf.set_override('log_max_size', 5, 'limits')
    conf.set_override('log_max_files', 4, 'limits')
    got = limits.ContainerLimits.from_conf(conf)
    assert got.host_config() == {
        'pids_limit': 77,
        'log_config': {'Type': 'json-file',
                       'Config': {'max-size': '5m', 'max-file': '4'}}}
    assert got.log_cap_bytes == 20 * 1024 * 1024


def test_option_defaults_are_the_driver_defaults():
    defaults = {opt.name: opt.default for opt in conf_mod.limits_opts}
    assert defaults['pids_limit'] == limits.DEFAULT_PIDS_LIMIT
    assert defaults['log_max_size'] == limits.DEFAULT_LOG_MAX_SIZE
    assert defaults['log_max_files'] == limits.DEFAULT_LOG_MAX_FILES
    assert defaults['max_ports_per_capsule'] == 32
