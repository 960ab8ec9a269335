"""Each view matches the response schema declared beside it.

The OpenAPI document (handlers/openapi.py) serves the schemas the view
modules declare; here every view is rendered from real rows (records.build,
the create path's own translation) and validated against its schema, whose
objects allow no key they do not list, and every listed key is shown by
some view: the document cannot drift from what the engine answers.
"""

import copy
import datetime
import json
import types

import jsonschema
import pytest

from heat_capsule.engine import microversion
from heat_capsule.engine import quota
from heat_capsule.engine import records
from heat_capsule.engine.views import capsule as capsule_view
from heat_capsule.engine.views import endpoint as endpoint_view
from heat_capsule.engine.views import error as error_view
from heat_capsule.engine.views import quota as quota_view
from heat_capsule.engine.views import volume as volume_view

CTX = types.SimpleNamespace(project_id='p', user_id='u')
NOW = datetime.datetime(2026, 1, 2, 3, 4, 5)
TEMPLATE = {'kind': 'capsule', 'metadata': {'name': 'demo',
                                            'labels': {'a': 'b'}},
            'spec': {
                'initContainers': [{'image': 'busybox'}],
                'containers': [
                    {'image': 'busybox', 'command': ['sh'],
                     'ports': [{'containerPort': 80, 'hostPort': 8080}],
                     'healthcheck': {'cmd': 'true'}},
                    {'name': 'job', 'image': 'busybox',
                     'resources': {'requests': {'cpu': 0.5,
                                                'memory': 64}}}],
                'volumes': [{'name': 'data', 'cinder': {'size': 1}}]}}


def _draft7(schema):
    """An OpenAPI 3.0 schema object as a JSON schema (``nullable``)."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.pop('nullable', False) and 'type' in node:
                node['type'] = [node['type'], 'null']
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return schema


def _check(view, schema):
    jsonschema.validate(view, _draft7(schema))


def _rows():
    capsule, new_volumes, _attach, _paths = records.build(TEMPLATE, CTX)
    capsule.created_at = capsule.updated_at = NOW
    for row in capsule.containers:
        row.started_at = NOW
        row.status = 'Running'
    for volume in new_volumes:
        volume.created_at = NOW
    return capsule, new_volumes


@pytest.mark.parametrize('version', [microversion.MIN_VERSION,
                                     microversion.CURRENT_VIEW,
                                     microversion.MAX_VERSION])
def test_capsule_views_match_their_schemas(version):
    capsule, _volumes = _rows()
    view = capsule_view.capsule(capsule, 'http://h', version, NOW)
    _check(view, capsule_view.CAPSULE_SCHEMA)
    _check(capsule_view.capsule_list([capsule], 'http://h', version, None),
           capsule_view.CAPSULE_LIST_SCHEMA)


def test_every_schema_key_is_shown():
    capsule, _volumes = _rows()
    shown = set()
    for version in (microversion.MIN_VERSION, microversion.MAX_VERSION):
        shown |= set(capsule_view.capsule(capsule, 'http://h', version, NOW))
    assert shown == set(capsule_view.CAPSULE_SCHEMA['properties'])
    container = capsule_view.container(capsule.containers[0], capsule, NOW)
    assert set(container) == set(
        capsule_view.CONTAINER_SCHEMA['properties'])


def test_volume_views_match_their_schemas():
    capsule, volumes = _rows()
    volume = volume_view.volume(volumes[0])
    assert set(volume) == set(volume_view.VOLUME_SCHEMA['properties'])
    _check(volume_view.volume_list(volumes), volume_view.VOLUME_LIST_SCHEMA)
    # A kept volume whose row is gone shows nulls.
    for rows in (volumes, []):
        _check(volume_view.capsule_volumes(capsule, rows),
               volume_view.CAPSULE_VOLUMES_SCHEMA)
    item = volume_view.CAPSULE_VOLUMES_SCHEMA['properties']['volumes']
    assert set(volume_view.capsule_volumes(capsule, volumes)['volumes'][0]) \
        == set(item['items']['properties'])


def test_endpoint_view_matches_its_schema():
    capsule, _volumes = _rows()
    containers = [(c.name, c.ports) for c in capsule.containers]
    view = endpoint_view.endpoint_list(
        containers, {(80, 'tcp'): [('127.0.0.1', 8080),
                                   ('127.0.0.1', 32768)]})
    assert view['endpoints']
    _check(view, endpoint_view.ENDPOINT_LIST_SCHEMA)


def test_quota_views_match_their_schemas():
    limits = {resource: 10 for resource in quota.RESOURCES}
    usage = {resource: 1.5 for resource in quota.RESOURCES}
    view = quota_view.limits(limits)
    assert set(view) == set(quota_view.LIMITS_SCHEMA['properties'])
    _check(view, quota_view.LIMITS_SCHEMA)
    view = quota_view.usages(limits, usage)
    assert set(view) == set(quota_view.USAGES_SCHEMA['properties'])
    _check(view, quota_view.USAGES_SCHEMA)


def test_error_envelope_matches_its_schema():
    body = json.loads(error_view.envelope(404, 'capsule-not-found',
                                          'Not Found', 'gone', 'req-1'))
    _check(body, error_view.ENVELOPE_SCHEMA)
    item = error_view.ENVELOPE_SCHEMA['properties']['errors']['items']
    assert set(body['errors'][0]) == set(item['properties'])
