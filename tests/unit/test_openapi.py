"""``GET /v1/openapi.json``: a valid OpenAPI 3 shape that cannot drift from
``handler.ROUTES``."""

import re

import jsonschema
import pytest
import webob

from heat_capsule.engine import handler
from heat_capsule.engine.handlers import openapi
from heat_capsule.engine.schemas import capsule as capsule_schema
from tests.support import wsgi as wsgi_support

HTTP_METHODS = {'get', 'put', 'post', 'delete', 'options', 'head', 'patch',
                'trace'}


@pytest.fixture
def app(tmp_path):
    return wsgi_support.detached_app(tmp_path)


def _openapi_path(pattern):
    """A ROUTES regex -> the OpenAPI path that documents it."""
    path = pattern.replace('(?:/v1)?', '/v1')
    # (?P<ident>...) is a capsule's; other groups keep their own name.
    path = re.sub(r'\(\?P<(\w+)>\[\^/\]\+\)',
                  lambda m: '{%s}' % ('capsule_ident' if m.group(1) == 'ident'
                                      else m.group(1)), path)
    path = path.replace('\\.', '.')
    assert not re.search(r'[\\()\[\]?*+^$]', path), (
        'route %r has regex syntax this test cannot map; teach it' % pattern)
    return path or '/'


def _resolve(doc, obj):
    while '$ref' in obj:
        assert obj['$ref'].startswith('#/'), obj['$ref']
        target = doc
        for part in obj['$ref'][2:].split('/'):
            target = target[part]
        obj = target
    return obj


def _all_refs(obj):
    if isinstance(obj, dict):
        if isinstance(obj.get('$ref'), str):
            yield obj['$ref']
        for value in obj.values():
            yield from _all_refs(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _all_refs(value)


def test_every_route_and_method_is_documented():
    doc = openapi.build()
    documented = set()
    for pattern, methods, _versioned in handler.ROUTES:
        path = _openapi_path(pattern)
        assert path in doc['paths'], (
            'route %s (%s) missing' % (pattern, path))
        for method in methods:
            assert method.lower() in doc['paths'][path], (
                '%s %s missing' % (method, path))
            documented.add((path, method.lower()))
    # ...and nothing is documented that the engine does not route.
    for path, item in doc['paths'].items():
        for method in set(item) & HTTP_METHODS:
            assert (path, method) in documented, '%s %s is not routed' % (
                method.upper(), path)


def test_document_shape_is_openapi_3():
    doc = openapi.build('http://example.test')
    assert re.match(r'^3\.\d+\.\d+$', doc['openapi'])
    assert doc['info']['title'] and doc['info']['version']
    assert doc['servers'] == [{'url': 'http://example.test'}]
    operation_ids = set()
    for path, item in doc['paths'].items():
        assert path.startswith('/')
        templated = set(re.findall(r'{([^}]+)}', path))
        path_params = {p['name'] for p in item.get('parameters', [])
                       if p['in'] == 'path'}
        assert templated == path_params, path
        for method in set(item) & HTTP_METHODS:
            operation = item[method]
            assert operation['operationId'] not in operation_ids
            operation_ids.add(operation['operationId'])
            assert operation['responses'], (method, path)
            for code, response in operation['responses'].items():
                assert re.match(r'^[1-5]\d\d$', code), code
                assert 'description' in _resolve(doc, response)
            for param in operation.get('parameters', []):
                param = _resolve(doc, param)
                assert param['in'] in ('query', 'header', 'path', 'cookie')
                assert 'schema' in param and param['name']
    for ref in _all_refs(doc):
        _resolve(doc, {'$ref': ref})   # every $ref resolves
    # Component schemas are usable as JSON schemas.
    for schema in doc['components']['schemas'].values():
        jsonschema.Draft7Validator.check_schema(schema)


def test_request_body_is_the_engines_own_schema():
    doc = openapi.build()
    body = doc['paths']['/v1/capsules']['post']['requestBody']
    schema = _resolve(doc, body['content']['application/json']['schema'])
    expected = dict(capsule_schema.CREATE)
    expected.pop('$schema')
    assert schema == expected
    list_params = {p['name'] for p in
                   doc['paths']['/v1/capsules']['get']['parameters']
                   if 'name' in p}
    assert list_params == {'limit', 'marker', 'sort_key', 'sort_dir',
                           'all_projects'}
    header = doc['components']['parameters']['OpenStackAPIVersion']
    assert header['name'] == 'OpenStack-API-Version'


def test_served_at_v1_openapi_json(app):
    req = webob.Request.blank('/v1/openapi.json')
    resp = req.get_response(app)
    assert resp.status_int == 200
    assert resp.content_type == 'application/json'
    assert resp.json['openapi'].startswith('3.')
    assert resp.json['servers'] == [{'url': 'http://localhost'}]
    assert 'OpenStack-API-Version' in resp.headers
    resp = webob.Request.blank('/v1/openapi.json',
                               method='POST').get_response(app)
    assert resp.status_int == 405
