"""Fuzz the API: generated requests against the WSGI app, in-process.

The runtime is disabled (``[runtime] enabled = false``, so the services get
a ``DetachedRuntime``): a create only reaches the API layer and the sqlite
database, no Docker container is ever made. Run with ``pytest -s`` to see the
request count and the status-code histogram.

The requests come from hypothesis strategies built from the engine's own
JSON schema (``schemas.capsule.CREATE``): valid-ish templates drawn from it,
the same templates mutated at a random place (wrong types, missing keys,
huge numbers, unicode, deep nesting), and plain garbage bodies; plus random
query strings for the list call, random identifiers for show/delete/volumes,
the quota API (targets, limits drawn from ``schemas.quota.UPDATE``, roles),
the volumes API (``/v1/volumes``, engine extension),
random microversion headers, random content types and methods.

Every response must be below 500, and every error must be Zun's envelope
carrying the request id of its ``X-Openstack-Request-Id`` header.
Generation is derandomized so CI runs are reproducible.
"""

import collections
import io
import json
import logging
import os
import re
import urllib.parse

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest
import webob

from heat_capsule import bounds
from heat_capsule.engine import quota
from heat_capsule.engine.schemas import capsule as capsule_schema
from heat_capsule.engine.schemas import quota as quota_schema
from tests import reliability
from tests.support import engine as engine_support
from tests.support import wsgi as wsgi_support

STATS = collections.Counter()
# Requests the fuzz tests make together at scale 1 (at least); a scale
# below 1 lowers it in proportion (test_fuzz_request_count).
MIN_REQUESTS = 10000
# HC_FUZZ_SCALE multiplies the number of examples (e.g. 0.1 for a quick run),
# and so does the suite's HC_RELIABILITY_SCALE (the long variant).
SCALE = float(os.environ.get('HC_FUZZ_SCALE', 1)) * reliability.scale()
# Examples each @fuzz test may draw, in definition order.
PLANNED = []


def fuzz(examples):
    PLANNED.append(max(1, int(examples * SCALE)))
    return settings(max_examples=PLANNED[-1],
                    deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope='module')
def app(tmp_path_factory):
    # Thousands of capsules get created; small pages keep lists cheap.
    # No quota: creates keep reaching the database (test_fuzz_quotas
    # fuzzes the quota API itself).
    wsgi_app = wsgi_support.detached_app(
        tmp_path_factory.mktemp('fuzz'),
        overrides=engine_support.NO_QUOTA_OVERRIDES, max_limit=25)
    # One access-log line per request would be most of the run time.
    logger = logging.getLogger('heat_capsule')
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield wsgi_app
    logger.setLevel(level)


@pytest.fixture(scope='module', autouse=True)
def report():
    STATS.clear()
    yield
    total = sum(STATS.values())
    print('\nfuzz: %d requests; status histogram: %s'
          % (total, dict(sorted(STATS.items()))))


# --- checking a response ---------------------------------------------------

def send(app, method, path, headers=(), body=None, content_type=None):
    req = webob.Request.blank(path, method=method)
    for name, value in headers:
        req.headers[name] = value
    if body is not None:
        req.body = body
    if content_type is not None:
        req.environ['CONTENT_TYPE'] = content_type
    resp = req.get_response(app)
    check(resp, method, path)
    return resp


def check(resp, method, path):
    STATS[resp.status_int] += 1
    where = '%s %s -> %s %r' % (method, path, resp.status, resp.body[:300])
    assert resp.status_int < 500, where
    request_id = resp.headers.get('X-Openstack-Request-Id', '')
    assert request_id.startswith('req-'), where
    if resp.status_int == 204 or method == 'HEAD':
        assert resp.body == b'', where
        return
    assert resp.content_type == 'application/json', where
    body = json.loads(resp.body)
    if resp.status_int >= 400:
        assert set(body) == {'errors'}, where
        assert len(body['errors']) == 1, where
        error = body['errors'][0]
        assert error['request_id'] == request_id, where
        assert error['status'] == resp.status_int, where
        assert error['code'].startswith('container.'), where
        assert isinstance(error['title'], str) and error['title'], where
        assert isinstance(error['detail'], str) and error['detail'], where
        assert error['links'] == [], where


# --- strategies ------------------------------------------------------------

SCALARS = (st.none() | st.booleans()
           | st.integers(min_value=-2 ** 70, max_value=2 ** 70)
           | st.sampled_from([0, -1, 10 ** 30, -10 ** 30, 2 ** 63, 1e308,
                              -1e308, 5e-324, 0.5])
           | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=30)
           | st.sampled_from(['', ' ', '\x00', 'true', 'True', '1', '1e3',
                              'null', '\u202e\u0000\U0001f600', 'a' * 300,
                              'busybox', '/data', '..', 'é' * 3]))
GARBAGE = st.recursive(
    SCALARS,
    lambda inner: (st.lists(inner, max_size=4)
                   | st.dictionaries(st.text(max_size=10), inner,
                                     max_size=4)),
    max_leaves=12)


def _text(alphabet, lo, hi):
    return st.text(alphabet, min_size=lo, max_size=hi)


def _joined(*parts):
    return st.tuples(*parts).map(''.join)


def _optional(strategy):
    return st.just('') | strategy


_LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789'
_LETTERS = _LOWER + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
_ALNUM = _text(_LOWER, 1, 30)
_PATH_COMPONENT = _joined(_ALNUM, st.lists(_joined(
    st.sampled_from(['.', '_', '__', '-', '--']), _ALNUM),
    max_size=3).map(''.join))
_DOMAIN_COMPONENT = _text(_LETTERS, 1, 1) | _joined(
    _text(_LETTERS, 1, 1), _text(_LETTERS + '-', 0, 8),
    _text(_LETTERS, 1, 1))
_HOST_PORT = _joined(st.just(':'), _text('0123456789', 1, 6))
# bounds.IMAGE_PATTERN (Docker's [domain/]path[:tag][@digest]) spelt as
# strategies: st.from_regex of it cost ~50 ms a draw, most of a create.
IMAGE_REFERENCES = _joined(
    _optional(_joined(
        _joined(st.just('localhost'), _optional(_HOST_PORT))
        | _joined(_DOMAIN_COMPONENT, st.lists(_joined(
            st.just('.'), _DOMAIN_COMPONENT), min_size=1, max_size=3).map(
            ''.join), _optional(_HOST_PORT))
        | _joined(_DOMAIN_COMPONENT, _HOST_PORT),
        st.just('/'))),
    _PATH_COMPONENT,
    st.lists(_joined(st.just('/'), _PATH_COMPONENT), max_size=3).map(
        ''.join),
    _optional(_joined(st.just(':'), _text(_LETTERS + '_', 1, 1),
                      _text(_LETTERS + '_.-', 0, 127))),
    _optional(st.sampled_from([('sha256', 64), ('sha384', 96),
                               ('sha512', 128)]).flatmap(
        lambda algo: _joined(st.just('@%s:' % algo[0]), _text(
            '0123456789abcdefABCDEF', algo[1], algo[1])))))
PATTERN_STRATEGIES = {bounds.IMAGE_PATTERN: IMAGE_REFERENCES}


def _pattern_strategy(pattern, min_size, max_size):
    if pattern in PATTERN_STRATEGIES:
        strategy = PATTERN_STRATEGIES[pattern]
    else:
        # The schema's patterns end in ``$(?!\n)``; fullmatch does the
        # same job.
        core = pattern.lstrip('^')
        core = re.sub(r'\$\(\?!\\n\)$', '', core).rstrip('$')
        strategy = st.from_regex(core, fullmatch=True)
    return strategy.filter(lambda s: min_size <= len(s) <= max_size)


def from_schema(schema, depth=0):
    """Values the (subset of JSON schema the engine uses) describes.

    Valid-ish: the semantic checks of ``validation`` (unique names,
    declared mounts...) are not modelled, so many are still 400s.
    """
    if 'enum' in schema:
        return st.sampled_from(schema['enum'])
    if schema.get('not') == {}:   # FORBIDDEN: anything, it is refused
        return SCALARS
    types = schema.get('type')
    if isinstance(types, list):
        return st.one_of([from_schema(dict(schema, type=t), depth)
                          for t in types])
    if types == 'null':
        return st.none()
    if types == 'boolean':
        return st.booleans()
    if types == 'integer':
        return st.integers(schema.get('minimum'), schema.get('maximum'))
    if types == 'number':
        return st.floats(schema.get('minimum'), schema.get('maximum'),
                         allow_nan=False) | st.integers(
            int(schema.get('minimum', 0)) + 1,
            int(schema.get('maximum', 100)))
    if types == 'string':
        lo, hi = schema.get('minLength', 0), schema.get('maxLength', 40)
        if 'pattern' in schema:
            # The schema's own bound: few draws of the pattern are longer,
            # where a shorter one made most of them rejected and redrawn.
            return _pattern_strategy(schema['pattern'], lo, hi)
        return st.text(min_size=lo, max_size=min(hi, 40))
    if types == 'array':
        if depth > 6:
            return st.just([])
        return st.lists(from_schema(schema.get('items', {}), depth + 1),
                        min_size=schema.get('minItems', 0),
                        max_size=max(schema.get('minItems', 0), 2))
    if types == 'object' or 'properties' in schema:
        return _object(schema, depth)
    return GARBAGE


def _object(schema, depth):
    props = schema.get('properties', {})
    required = schema.get('required', [])
    extra = schema.get('additionalProperties', True)
    optional = sorted(k for k in props if k not in required)

    @st.composite
    def build(draw):
        out = {k: draw(from_schema(props[k], depth + 1)) for k in required
               if k in props}
        for key in draw(st.lists(st.sampled_from(optional), unique=True,
                                 max_size=len(optional))
                        if optional else st.just([])):
            out[key] = draw(from_schema(props[key], depth + 1))
        if isinstance(extra, dict):
            out.update(draw(st.dictionaries(
                st.text(max_size=12), from_schema(extra, depth + 1),
                max_size=3)))
        elif extra is True and draw(st.integers(0, 9)) == 0:
            out.update(draw(st.dictionaries(st.text(max_size=8), GARBAGE,
                                            max_size=2)))
        return out
    return build()


VALID_ISH = from_schema(capsule_schema.CREATE)
SIMPLE = st.builds(
    lambda name, image, cmd_: {'template': {
        'kind': 'capsule', 'metadata': {'name': name},
        'spec': {'containers': [{'image': image, 'command': cmd_}]}}},
    st.from_regex(r'[a-z][a-z0-9-]{1,12}', fullmatch=True),
    st.sampled_from(['busybox', 'busybox:latest', 'nginx']),
    st.lists(st.text(max_size=8), max_size=3))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _nest(depth, leaf):
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {'k': value}
    return value


@st.composite
def mutated(draw):
    """A valid-ish body broken at one or more random places."""
    body = draw(VALID_ISH | SIMPLE)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(body))
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(
            ['replace', 'delete', 'add', 'nest', 'stringify']))
        parent, key = None, None
        target = body
        for part in path:
            parent, key, target = target, part, target[part]
        if action == 'replace':
            new = draw(GARBAGE)
        elif action == 'nest':
            new = _nest(draw(st.integers(10, 400)), draw(SCALARS))
        elif action == 'stringify':
            new = json.dumps(target)
        elif action == 'add' and isinstance(target, dict):
            target[draw(st.text(max_size=10))] = draw(GARBAGE)
            continue
        elif action == 'add' and isinstance(target, list):
            target.append(draw(GARBAGE))
            continue
        elif action == 'delete' and parent is not None:
            del parent[key]
            continue
        else:
            continue
        if parent is None:
            body = new
        else:
            parent[key] = new
    return body


def _encode(value):
    return json.dumps(value, ensure_ascii=False).encode('utf-8')


RAW_BODIES = (
    st.binary(max_size=200)
    | st.text(max_size=200).map(lambda s: s.encode('utf-8'))
    | GARBAGE.map(_encode)
    | st.sampled_from([
        b'', b'{', b'{"template": ', b'null', b'[]', b'"template"',
        b'{"template": NaN}', b'{"template": Infinity}',
        b'{"template": 1e999}', b'{"template": {}} trailing',
        b'{"template": {"kind": "capsule"}, "template": 1}',
        b'\xef\xbb\xbf{"template": {}}', b'{"template": "\\ud800"}',
        b'{"template": "' + b'{' * 5000 + b'"}',
        b'[' * 3000 + b']' * 3000, b'{"a":' * 2000 + b'1' + b'}' * 2000,
        b'{"template": ' + b'9' * 5000 + b'}']))

BODIES = (VALID_ISH.map(_encode) | mutated().map(_encode)
          | SIMPLE.map(_encode) | RAW_BODIES
          | VALID_ISH.map(lambda b: _encode({'template': json.dumps(
              b['template'])})))

GOOD_VERSIONS = st.none() | st.sampled_from(
    ['container 1.1', 'container 1.32', 'container 1.40', 'container latest',
     ' container  1.38 '])
# Three requests in four carry a good version (or none), so that most of
# them get past the microversion check to the handlers.
BAD_VERSIONS = (
    st.sampled_from(['container 1.41', 'container 1.0', 'container 0.9',
                     'container 2.0', 'container 1.032', 'container -1.5',
                     'container 1.99999999999999999999', 'Container 1.2',
                     'compute 1.2', 'container', '', 'container 1.40, foo 2',
                     'container 1.1 1.2'])
    | st.builds('container 1.{}'.format, st.integers(-5, 10 ** 20))
    | st.text(st.characters(min_codepoint=32, max_codepoint=255),
              max_size=30))
VERSIONS = st.sampled_from([True, True, True, False]).flatmap(
    lambda good: GOOD_VERSIONS if good else BAD_VERSIONS)
CONTENT_TYPES = (st.sampled_from([
    'application/json', 'application/json; charset=utf-8',
    'APPLICATION/JSON', 'application/json;charset=latin-1',
    'text/plain', 'text/json', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x', 'application/octet-stream',
    'application/vnd.openstack.zun.v1+json', '', ';', 'application/',
    'application/json-patch+json'])
    | st.text(st.characters(min_codepoint=32, max_codepoint=126),
              max_size=40))
IDENTS = (st.text(min_size=1, max_size=60)
          | st.uuids().map(str)
          | st.sampled_from(['a', '..', '.', '%', ' ', 'null', '0' * 36,
                             'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ',
                             'x' * 5000]))
QUERY_VALUES = (st.text(max_size=20)
                | st.sampled_from(['asc', 'desc', 'id', 'name', 'uuid',
                                   'status', 'created_at', '1', '0', '-1',
                                   'true', 'yes', '99999999999999999999',
                                   '1e3', 'NaN', '', ' 5'])
                | st.integers(-2 ** 70, 2 ** 70).map(str)
                | st.uuids().map(str))
QUERY_KEYS = (st.sampled_from(['limit', 'marker', 'sort_key', 'sort_dir',
                               'all_projects'])
              | st.text(max_size=10))
QUERIES = st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=6).map(
    urllib.parse.urlencode)
ROLES = st.sampled_from([None, 'admin', 'member', 'reader', '', 'admin,x'])
PREFIXES = st.sampled_from(['/v1/capsules', '/capsules', '/v1/capsules/',
                            '//v1//capsules//'])


def _headers(version, roles, project):
    headers = []
    if version is not None:
        headers.append(('OpenStack-API-Version', version))
    if roles is not None:
        headers.append(('X-Roles', roles))
    if project is not None:
        headers.append(('X-Project-Id', project))
    return headers


PROJECTS = st.none() | st.sampled_from(['p1', 'p2', 'admin-project'])


# --- the fuzz tests --------------------------------------------------------
# 1,600 + 3,000 + 3,400 + 1,000 + 1,200 + 900 + 1,000 + 2,400 = 14,500
# requests (more with the follow-ups of successful creates and quota
# updates). Creates are the slowest (schema-driven generation and a database
# write), so they get fewer.

@fuzz(1600)
@given(body=BODIES, content_type=CONTENT_TYPES, version=VERSIONS,
       roles=ROLES, project=PROJECTS, prefix=PREFIXES)
def test_fuzz_create(app, body, content_type, version, roles, project,
                     prefix):
    resp = send(app, 'POST', prefix.rstrip('/') or '/v1/capsules',
                _headers(version, roles, project), body, content_type)
    if resp.status_int == 202:
        uuid = resp.json['uuid']
        headers = _headers(version, roles, project)
        send(app, 'GET', '/v1/capsules/%s' % uuid, headers)
        send(app, 'GET', '/v1/capsules/%s/volumes' % uuid, headers)
        send(app, 'GET', '/v1/volumes', headers)
        # The pause extension: still Creating here (detached), so 409s.
        send(app, 'POST', '/v1/capsules/%s/pause' % uuid, headers)
        send(app, 'POST', '/v1/capsules/%s/unpause' % uuid, headers)
        send(app, 'GET', '/v1/capsules/%s/endpoints' % uuid, headers)


@fuzz(3000)
@given(query=QUERIES, version=VERSIONS, roles=ROLES, project=PROJECTS,
       prefix=PREFIXES)
def test_fuzz_list(app, query, version, roles, project, prefix):
    send(app, 'GET', '%s?%s' % (prefix, query),
         _headers(version, roles, project))


@fuzz(3400)
@given(method=st.sampled_from(['GET', 'DELETE', 'GET', 'PUT', 'PATCH',
                               'POST', 'HEAD', 'OPTIONS']),
       ident=IDENTS, suffix=st.sampled_from(['', '/', '/volumes',
                                             '/volumes/', '/endpoints',
                                             '/x/y', '/pause', '/unpause/']),
       query=QUERIES, version=VERSIONS, roles=ROLES, project=PROJECTS,
       prefix=PREFIXES)
def test_fuzz_show_delete(app, method, ident, suffix, query, version, roles,
                          project, prefix):
    path = '%s/%s%s' % (prefix.rstrip('/'),
                        urllib.parse.quote(ident, safe=''), suffix)
    if query:
        path += '?' + query
    send(app, method, path, _headers(version, roles, project))


@pytest.fixture(scope='module')
def log_targets(app):
    """Container uuids of one capsule of project p1 (init and app)."""
    body = json.dumps({'template': {
        'kind': 'capsule', 'metadata': {'name': 'logs'}, 'spec': {
            'initContainers': [{'name': 'setup', 'image': 'busybox'}],
            'containers': [{'name': 'app', 'image': 'busybox'}]}}}).encode()
    headers = _headers('container 1.40', 'member', 'p1')
    created = send(app, 'POST', '/v1/capsules', headers, body,
                   'application/json')
    capsule = send(app, 'GET', '/v1/capsules/' + created.json['uuid'],
                   headers).json
    return [c['uuid'] for c in capsule['init_containers'] +
            capsule['containers']]


LOG_QUERY_KEYS = (st.sampled_from(['stdout', 'stderr', 'timestamps',
                                   'tail', 'since'])
                  | st.text(max_size=10))
LOG_QUERY_VALUES = (QUERY_VALUES
                    | st.sampled_from(['all', 'True', 'False', 'None',
                                       '2026-11-28 08:00:00,123',
                                       '2026-11-28T08:00:00Z',
                                       '2026-02-30 00:00:00', '1e400',
                                       '9' * 40])
                    | st.floats(allow_nan=True).map(str))


@fuzz(1000)
@given(ident=st.integers(0, 1) | IDENTS,
       query=st.lists(st.tuples(LOG_QUERY_KEYS, LOG_QUERY_VALUES),
                      max_size=5).map(urllib.parse.urlencode),
       version=VERSIONS, roles=ROLES, project=PROJECTS,
       prefix=st.sampled_from(['/v1/containers', '/containers']))
def test_fuzz_container_logs(app, log_targets, ident, query, version, roles,
                             project, prefix):
    """Logs of real capsule containers (and random ids) with random
    parameters. The runtime is detached, so a container that passes
    every check gets a 409 (not in Docker), never a 5xx."""
    if isinstance(ident, int):
        ident = log_targets[ident]
    path = '%s/%s/logs' % (prefix, urllib.parse.quote(ident, safe=''))
    if query:
        path += '?' + query
    send(app, 'GET', path, _headers(version, roles, project))


QUOTA_BODIES = (from_schema(quota_schema.UPDATE).map(_encode)
                | st.dictionaries(st.sampled_from(['containers', 'memory',
                                                   'cpu', 'disk', 'x']),
                                  SCALARS, max_size=4).map(_encode)
                | RAW_BODIES)
QUOTA_TARGETS = IDENTS | st.sampled_from(['p1', 'p2', 'admin-project',
                                          'default'])


@fuzz(1200)
@given(method=st.sampled_from(['GET', 'PUT', 'DELETE', 'GET', 'PUT',
                               'POST', 'PATCH', 'HEAD']),
       kind=st.sampled_from(['/v1/quotas/%s', '/v1/quotas/%s/defaults',
                             '/v1/quota_classes/%s', '/quotas/%s',
                             '/v1/quotas/%s/x']),
       target=QUOTA_TARGETS, query=st.none() | QUERIES
       | st.sampled_from(['usages=True', 'usages=1', 'usages=x']),
       body=st.none() | QUOTA_BODIES,
       content_type=st.just('application/json') | CONTENT_TYPES,
       version=VERSIONS, roles=st.just('admin') | ROLES, project=PROJECTS)
def test_fuzz_quotas(app, method, kind, target, query, body, content_type,
                     version, roles, project):
    """The quota API with random targets, bodies, roles and projects;
    an admin PUT that passes leaves every limit readable and in range."""
    path = kind % urllib.parse.quote(target, safe='')
    if query:
        path += '?' + query
    headers = _headers(version, roles, project)
    resp = send(app, method, path, headers, body,
                content_type if body is not None else None)
    if method == 'PUT' and resp.status_int == 200:
        assert set(resp.json) == set(quota.RESOURCES), resp.json
        assert all(-1 <= v <= quota_schema.MAX_LIMIT
                   for v in resp.json.values()), resp.json
        # Put no limit back, so the other fuzz tests' creates still pass.
        send(app, 'PUT', path, headers,
             _encode({r: -1 for r in quota.RESOURCES}), 'application/json')


@fuzz(300)
@given(kind=st.sampled_from(['/v1/quotas/%s', '/v1/quota_classes/%s']),
       target=QUOTA_TARGETS, body=from_schema(quota_schema.UPDATE)
       | st.dictionaries(st.sampled_from(quota.RESOURCES), SCALARS,
                         max_size=4))
def test_fuzz_quota_updates(app, kind, target, body):
    """Admin updates with drawn limits: a 200 stored exactly what was
    sent (as whole numbers), a 400 changed nothing."""
    path = kind % urllib.parse.quote(target, safe='')
    headers = _headers('container 1.40', 'admin', 'admin-project')
    before = send(app, 'GET', path, headers)
    resp = send(app, 'PUT', path, headers, _encode(body), 'application/json')
    after = send(app, 'GET', path, headers)
    if before.status_int != 200:   # e.g. an ident of 5000 characters
        return
    if resp.status_int == 200:
        assert after.json == dict(before.json, **{
            k: int(v) for k, v in body.items()}), (body, after.json)
        send(app, 'PUT', path, headers,
             _encode({r: -1 for r in quota.RESOURCES}), 'application/json')
    else:
        assert resp.status_int in (400, 404), resp.body
        assert after.json == before.json


@pytest.fixture(scope='module')
def volume_targets(app):
    """uuids of two kept volumes of project p1: one a capsule uses, one
    free (its capsule deleted; the detached runtime never purges, so its
    row is released by hand as the reconciler would)."""
    headers = _headers('container 1.40', 'member', 'p1')
    found = []
    for name in ('vols-used', 'vols-free'):
        body = json.dumps({'template': {
            'kind': 'capsule', 'metadata': {'name': name}, 'spec': {
                'containers': [{'image': 'busybox', 'volumeMounts': [
                    {'name': 'data', 'mountPath': '/data'}]}],
                'volumes': [{'name': 'data', 'cinder': {'size': 1}}]}}})
        created = send(app, 'POST', '/v1/capsules', headers, body.encode(),
                       'application/json')
        found.append(created.json['uuid'])
    volumes = send(app, 'GET', '/v1/volumes', headers).json['volumes']
    by_capsule = {v['capsule_uuid']: v['uuid'] for v in volumes}
    app.services.db.purge_capsule(found[1])
    return [by_capsule[found[0]], by_capsule[found[1]]]


@fuzz(1000)
@given(method=st.sampled_from(['GET', 'DELETE', 'GET', 'PUT', 'POST',
                               'PATCH']),
       ident=st.none() | st.integers(0, 1) | IDENTS,
       query=QUERIES, version=VERSIONS, roles=ROLES, project=PROJECTS,
       prefix=st.sampled_from(['/v1/volumes', '/volumes', '/v1/volumes/',
                               '//v1//volumes//']))
def test_fuzz_volumes(app, volume_targets, method, ident, query, version,
                      roles, project, prefix):
    """The volumes API: list, show and delete random and real volumes
    (one in use, one free) from random projects and roles."""
    path = prefix.rstrip('/')
    if isinstance(ident, int):
        ident = volume_targets[ident]
    if ident is not None:
        path += '/' + urllib.parse.quote(ident, safe='')
    if query:
        path += '?' + query
    send(app, method, path, _headers(version, roles, project))


@fuzz(2400)
@given(method=st.sampled_from(['GET', 'POST', 'DELETE', 'PUT', 'HEAD']),
       path=st.sampled_from(['/', '/v1', '/v1/', '/v1/openapi.json',
                             '/v2', '/v1/containers', '/capsules/',
                             '/v1/capsules/a/b/c', '/%2e%2e/v1',
                             '/v1/capsules%00', '/' + 'a/' * 300])
       | st.text(st.characters(min_codepoint=33, max_codepoint=126),
                 max_size=40).map(lambda p: '/' + urllib.parse.quote(p)),
       version=VERSIONS, content_type=CONTENT_TYPES,
       body=st.none() | RAW_BODIES)
def test_fuzz_any_path(app, method, path, version, content_type, body):
    send(app, method, path, _headers(version, None, None), body,
         content_type if body is not None else None)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(image=IMAGE_REFERENCES)
def test_drawn_image_references_are_in_the_schemas_language(image):
    """IMAGE_REFERENCES stands for st.from_regex(bounds.IMAGE_PATTERN):
    everything it draws must be in that language."""
    assert re.fullmatch(bounds.IMAGE_PATTERN, image), image


def minimum_requests(scale=None):
    """Requests the fuzz tests must have made: MIN_REQUESTS at a scale of
    1 or more, that share of it below 1, and one per fuzz test at least."""
    scale = SCALE if scale is None else scale
    return max(len(PLANNED), int(MIN_REQUESTS * min(scale, 1)))


def test_fuzz_request_count():
    """Runs after the fuzz tests: they made at least minimum_requests(),
    whatever the scale (a quick run at HC_FUZZ_SCALE=0.1 needs 1000)."""
    if not STATS:
        pytest.skip('the fuzz tests did not run')
    assert sum(STATS.values()) >= minimum_requests(), (
        'scale %s: %d requests, %d planned examples, statuses %s'
        % (SCALE, sum(STATS.values()), sum(PLANNED), dict(STATS)))


@pytest.mark.parametrize('scale,share', [
    (1, MIN_REQUESTS), (5, MIN_REQUESTS), (0.5, MIN_REQUESTS // 2),
    (0.1, MIN_REQUESTS // 10), (0.0001, 1), (0, 0)])
def test_the_request_floor_follows_the_scale(scale, share):
    """No scale makes test_fuzz_request_count vacuous."""
    assert len(PLANNED) >= 5
    assert minimum_requests(scale) == max(len(PLANNED), share)


# --- explicit transport cases (not already in errors.yaml or
# test_api_transport.py) ------------------------------------------------------

def _chunked(app, body, content_type='application/json'):
    """A body sent without Content-Length (chunked transfer)."""
    req = webob.Request.blank('/v1/capsules', method='POST')
    req.environ['CONTENT_TYPE'] = content_type
    req.environ['HTTP_TRANSFER_ENCODING'] = 'chunked'
    req.environ.pop('CONTENT_LENGTH', None)
    req.environ['wsgi.input'] = io.BytesIO(body)
    req.environ['wsgi.input_terminated'] = True
    resp = req.get_response(app)
    check(resp, 'POST', '/v1/capsules (chunked)')
    return resp


def test_chunked_body_over_the_limit_is_413(app):
    big = b'{"template": "' + b'x' * (1024 * 1024 + 10) + b'"}'
    resp = _chunked(app, big)
    assert resp.status_int == 413
    assert resp.json['errors'][0]['code'] == \
        'container.request-entity-too-large'


def test_body_exactly_at_the_limit_is_not_413(app):
    body = b'{"template": "' + b'x' * (1024 * 1024 - 16) + b'"}'
    assert len(body) == 1024 * 1024
    resp = send(app, 'POST', '/v1/capsules', body=body,
                content_type='application/json')
    assert resp.status_int == 400
    resp = send(app, 'POST', '/v1/capsules', body=body + b' ',
                content_type='application/json')
    assert resp.status_int == 413


@pytest.mark.parametrize('body', [
    b'{"template": NaN}', b'{"template": {"kind": "capsule"}} x',
    b'{"template": ' + b'9' * 5000 + b'}', b'\xef\xbb\xbf{}', b'',
    b'{"template": "\\ud800"}'],
    # ids without ':' (gabbi's pytest plugin splits test ids on it)
    ids=['nan', 'trailing-garbage', 'huge-integer', 'bom', 'empty',
         'lone-surrogate'])
def test_malformed_or_odd_json_is_400(app, body):
    resp = send(app, 'POST', '/v1/capsules', body=body,
                content_type='application/json')
    assert resp.status_int == 400


@pytest.mark.parametrize('value', ['NaN', 'Infinity', '-Infinity', '1e999'])
def test_non_finite_cpu_is_400(app, value):
    body = ('{"template": {"kind": "capsule", "metadata": {}, "spec": '
            '{"containers": [{"image": "busybox", "resources": '
            '{"requests": {"cpu": %s}}}]}}}' % value).encode()
    resp = send(app, 'POST', '/v1/capsules', body=body,
                content_type='application/json')
    assert resp.status_int == 400
    assert 'cpu' in resp.json['errors'][0]['detail']


@pytest.mark.parametrize('content_type,status', [
    ('application/json; charset=utf-8', 400),
    ('Application/JSON', 400),
    ('text/json', 415),
    ('application/json-patch+json', 415),
    ('application/vnd.openstack.zun.v1+json', 415),
    ('multipart/form-data; boundary=x', 415),
    ('application/octet-stream', 415)])
def test_content_types(app, content_type, status):
    resp = send(app, 'POST', '/v1/capsules', body=b'{}',
                content_type=content_type)
    assert resp.status_int == status
    if status == 415:
        assert resp.json['errors'][0]['code'] == \
            'container.unsupported-media-type'


@pytest.mark.parametrize('method,path', [
    ('GET', '/v1'), ('GET', '/v1/capsules'), ('POST', '/v1/capsules'),
    ('GET', '/capsules/x'), ('DELETE', '/v1/capsules/x'),
    ('GET', '/v1/capsules/x/volumes'), ('GET', '/v1/openapi.json'),
    ('POST', '/v1/capsules/x/pause'), ('POST', '/capsules/x/unpause')])
@pytest.mark.parametrize('version', ['container 1.41', 'container 0.1',
                                     'container 1.x', 'nova 1.2'])
def test_bad_microversion_is_406_on_every_versioned_path(app, method, path,
                                                         version):
    resp = send(app, method, path, [('OpenStack-API-Version', version)],
                body=b'{}' if method == 'POST' else None,
                content_type='application/json' if method == 'POST'
                else None)
    assert resp.status_int == 406
    assert resp.json['errors'][0]['code'] == \
        'container.microversion-unsupported'
    assert resp.headers['OpenStack-API-Minimum-Version'] == 'container 1.1'
    assert resp.headers['OpenStack-API-Maximum-Version'] == 'container 1.40'


def test_bad_microversion_is_ignored_on_the_root(app):
    resp = send(app, 'GET', '/', [('OpenStack-API-Version', 'container 9')])
    assert resp.status_int == 200
