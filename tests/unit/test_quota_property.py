"""Quotas and capacity hold for any request sizes and limits (hypothesis).

The engine's WSGI app without its runtime, on sqlite. Each example draws
per-project limits, the host's CPUs and memory, and a series of capsules
(container counts, optional CPU and memory requests, a volume or not):

* sent one after the other, each is accepted exactly when it fits both its
  project's quota and the host's capacity; refused ones are 403 (quota,
  checked first) or 409 (capacity), and change nothing;
* sent from 8 threads at once, whatever is accepted never takes a usage
  over its limit or the host over its capacity, and the usage the API
  reports is exactly the sum of the accepted requests.
"""

import concurrent.futures
import json
import uuid

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from oslo_config import cfg
import pytest
import webob

from heat_capsule.engine import cmd
from heat_capsule.engine import deploy
from heat_capsule.engine import quota
from heat_capsule.engine import service

DEFAULT_CPU, DEFAULT_MEMORY = 0.5, 64


@pytest.fixture(scope='module')
def engine(tmp_path_factory):
    conf = cmd.prepare([], cfg.ConfigOpts(), setup_logging=False)
    conf.set_override('state_dir', str(tmp_path_factory.mktemp('prop')))
    conf.set_override('enabled', False, 'runtime')
    conf.set_override('default_cpu', DEFAULT_CPU, 'compute')
    conf.set_override('default_memory', DEFAULT_MEMORY, 'compute')
    for name in ('cpu_allocation_ratio', 'ram_allocation_ratio'):
        conf.set_override(name, 1.0, 'compute')
    conf.set_override('reserved_host_memory_mb', 0, 'compute')
    services = service.make_services(conf)
    services.db.upgrade()
    return conf, services, deploy.make_app(services)


def _send(app, method, path, project, body=None, roles='member'):
    req = webob.Request.blank(path, method=method)
    req.headers['X-Project-Id'] = project
    req.headers['X-Roles'] = roles
    if body is not None:
        req.body = json.dumps(body).encode()
        req.content_type = 'application/json'
    return req.get_response(app)


CONTAINER = st.fixed_dictionaries({}, optional={
    'cpu': st.sampled_from([0.1, 0.25, 0.5, 1.0, 1.5, 2.0]),
    'memory': st.integers(6, 700)})  # Docker's 6 MiB minimum
CAPSULE = st.fixed_dictionaries({
    'project': st.sampled_from(['pa', 'pb']),
    'containers': st.lists(CONTAINER, min_size=1, max_size=3),
    'disk': st.none() | st.integers(1, 6)})
LIMITS = st.fixed_dictionaries({
    'containers': st.integers(-1, 8), 'memory': st.integers(-1, 1500),
    'cpu': st.integers(-1, 4), 'disk': st.integers(-1, 10)})


def _template(capsule):
    containers = []
    for index, requests in enumerate(capsule['containers']):
        item = {'name': 'c%d' % index, 'image': 'busybox'}
        if requests:
            item['resources'] = {'requests': dict(requests)}
        containers.append(item)
    spec = {'containers': containers}
    if capsule['disk']:
        containers[0]['volumeMounts'] = [{'name': 'data',
                                          'mountPath': '/data'}]
        spec['volumes'] = [{'name': 'data',
                            'cinder': {'size': capsule['disk']}}]
    return {'template': {'kind': 'capsule', 'metadata': {}, 'spec': spec}}


def _request(capsule):
    """What the capsule counts, with the defaults filled in."""
    cpu = sum(c.get('cpu', DEFAULT_CPU) for c in capsule['containers'])
    memory = sum(c.get('memory', DEFAULT_MEMORY)
                 for c in capsule['containers'])
    return {'containers': len(capsule['containers']), 'cpu': cpu,
            'memory': memory, 'disk': capsule['disk'] or 0}


def _fits(limits, usage, request):
    return all(limits[r] == -1 or usage[r] + request[r] <= limits[r] + 1e-9
               for r in quota.RESOURCES)


def _setup(engine, limits, host_cpus, host_memory):
    conf, services, app = engine
    conf.set_override('host_cpus', host_cpus, 'compute')
    conf.set_override('host_memory_mb', host_memory, 'compute')
    projects = {}
    for name, project_limits in limits.items():
        project = '%s-%s' % (name, uuid.uuid4().hex[:8])
        resp = _send(app, 'PUT', '/v1/quotas/' + project, 'admin',
                     project_limits, roles='admin')
        assert resp.status_int == 200, resp.body
        projects[name] = project
    return projects


def _cleanup(engine):
    """Purge every capsule, so the next example starts on an empty host."""
    _, services, _ = engine
    for capsule_uuid in services.db.capsules_to_sync():
        services.db.purge_capsule(capsule_uuid)


def _reported(app, project):
    resp = _send(app, 'GET', '/v1/quotas/%s?usages=true' % project, project)
    return {r: v['in_use'] for r, v in resp.json.items()}


def _assert_reported(app, projects, usage):
    """The API's in_use of each project is the model's."""
    for name, project in projects.items():
        reported = _reported(app, project)
        for resource in quota.RESOURCES:
            assert reported[resource] == pytest.approx(
                usage[name][resource]), (resource, reported)


def _empty():
    return {r: 0 for r in quota.RESOURCES}


def _take(usage, host, project, request):
    """Add an accepted request to its project's usage and to the host's."""
    for resource in quota.RESOURCES:
        usage[project][resource] += request[resource]
    host['cpu'] += request['cpu']
    host['memory'] += request['memory']


settings_ = settings(max_examples=60, deadline=None, derandomize=True,
                     database=None,
                     suppress_health_check=list(HealthCheck))


@settings_
@given(limits=st.fixed_dictionaries({'pa': LIMITS, 'pb': LIMITS}),
       host_cpus=st.integers(1, 6), host_memory=st.integers(200, 2500),
       capsules=st.lists(CAPSULE, min_size=1, max_size=10))
def test_sequential_creates_are_admitted_exactly_when_they_fit(
        engine, limits, host_cpus, host_memory, capsules):
    _, _, app = engine
    projects = _setup(engine, limits, host_cpus, host_memory)
    try:
        usage = {name: _empty() for name in projects}
        host = {'cpu': 0.0, 'memory': 0}
        for capsule in capsules:
            name = capsule['project']
            request = _request(capsule)
            resp = _send(app, 'POST', '/v1/capsules', projects[name],
                         _template(capsule))
            if not _fits(limits[name], usage[name], request):
                assert resp.status_int == 403, resp.body
                assert resp.json['errors'][0]['code'] == \
                    'container.over-quota'
            elif (host['cpu'] + request['cpu'] > host_cpus + 1e-9
                  or host['memory'] + request['memory'] > host_memory):
                assert resp.status_int == 409, resp.body
            else:
                assert resp.status_int == 202, resp.body
                _take(usage, host, name, request)
        _assert_reported(app, projects, usage)
    finally:
        _cleanup(engine)


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(limits=st.fixed_dictionaries({'pa': LIMITS, 'pb': LIMITS}),
       host_cpus=st.integers(1, 6), host_memory=st.integers(200, 2500),
       capsules=st.lists(CAPSULE, min_size=4, max_size=16))
def test_concurrent_creates_never_go_over(engine, limits, host_cpus,
                                          host_memory, capsules):
    _, _, app = engine
    projects = _setup(engine, limits, host_cpus, host_memory)
    try:
        def create(capsule):
            resp = _send(app, 'POST', '/v1/capsules',
                         projects[capsule['project']], _template(capsule))
            assert resp.status_int in (202, 403, 409), resp.body
            return capsule, resp.status_int == 202
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(create, capsules))
        usage = {name: _empty() for name in projects}
        host = {'cpu': 0.0, 'memory': 0}
        for capsule, accepted in results:
            if accepted:
                _take(usage, host, capsule['project'], _request(capsule))
        assert host['cpu'] <= host_cpus + 1e-9
        assert host['memory'] <= host_memory
        for name in projects:
            for resource in quota.RESOURCES:
                limit = limits[name][resource]
                assert limit == -1 or usage[name][resource] <= limit + 1e-9
        _assert_reported(app, projects, usage)
    finally:
        _cleanup(engine)
