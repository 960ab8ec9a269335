"""Version discovery: ``GET /`` and ``GET /v1``.

python-zunclient negotiates from the ``versions[]`` entry whose status is
CURRENT, reading its ``min_version`` and ``max_version``. The same entry
lists the engine's extensions of Zun's API (``extensions``, see
``heat_capsule.engine.extensions``); Zun's has no such key.
"""

from heat_capsule.engine import extensions
from heat_capsule.engine import microversion
from heat_capsule.engine.handlers import util

V1_RESOURCES = ('capsules', 'quotas', 'quota_classes')


def _version_entry(host_url, conf):
    return {'id': 'v1',
            'links': [{'href': '%s/v1/' % host_url, 'rel': 'self'}],
            'status': 'CURRENT',
            'min_version': microversion.to_string(microversion.MIN_VERSION),
            'max_version': microversion.to_string(microversion.MAX_VERSION),
            'extensions': extensions.advertised(conf)}


def versions(req):
    entry = _version_entry(req.host_url_for_links, req.services.conf)
    return util.json_response(200, {
        'name': 'heat-capsule engine (OpenStack Zun capsule API)',
        'description': 'Zun-compatible capsule API that runs capsules on '
                       'a Docker engine.',
        'versions': [entry],
        'default_version': entry,
    })


def v1(req):
    host = req.host_url_for_links
    body = {
        'id': 'v1',
        'media_types': [{'base': 'application/json',
                         'type': 'application/vnd.openstack.zun.v1+json'}],
        'links': [{'href': '%s/v1/' % host, 'rel': 'self'}],
    }
    for resource in V1_RESOURCES:
        body[resource] = [
            {'href': '%s/v1/%s/' % (host, resource), 'rel': 'self'},
            {'href': '%s/%s/' % (host, resource), 'rel': 'bookmark'}]
    return util.json_response(200, body)
