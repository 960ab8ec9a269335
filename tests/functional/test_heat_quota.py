"""What Heat shows when the engine refuses a capsule for its quota.

The refusal is an immediate 403 (capacity: 409) to the create, so
OS::Zun::Capsule fails at once, with the engine's message in the resource's
and the stack's status reason, and nothing is left in the engine or Docker.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig  # noqa: F401

import time

import requests

from heat_capsule.engine.runtime import spec as rspec

ADMIN = {'OpenStack-API-Version': 'container 1.40', 'X-Roles': 'admin'}
# The noauth engine puts every request without X-Project-Id (Heat sends
# only a token) in its noauth project.
PROJECT = 'demo'

TEMPLATE = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - {name: web, image: busybox, command: [sleep, "3600"]}
        - {name: side, image: busybox, command: [sleep, "3600"]}
'''


def _quota(engine, method, body=None):
    resp = requests.request(method, '%s/v1/quotas/%s' % (engine.url,
                                                         PROJECT),
                            json=body, headers=ADMIN, timeout=30)
    assert resp.status_code in (200, 204), resp.text


def test_over_quota_fails_the_resource_at_once(heat, engine, docker_client):
    _quota(engine, 'PUT', {'containers': 1})
    try:
        started = time.monotonic()
        identity = heat.create_stack('over-quota', heat.parse(TEMPLATE))
        stack = heat.wait(identity, 'CREATE')
        took = time.monotonic() - started
    finally:
        _quota(engine, 'DELETE')
    assert stack['stack_status'] == 'FAILED', stack
    expected = ('Quota exceeded for resources: containers (limit 1, in use '
                '0, requested 2) of project demo.')
    assert expected in stack['stack_status_reason']
    resource = heat.resource(identity, 'capsule')
    assert resource['resource_status'] == 'FAILED'
    assert expected in resource['resource_status_reason']
    assert 'Forbidden' in resource['resource_status_reason']
    print('over quota: CREATE_FAILED after %.1f s: %s' % (
        took, resource['resource_status_reason']))
    assert requests.get(engine.url + '/v1/capsules', headers=ADMIN,
                        timeout=30).json()['capsules'] == []
    assert docker_client.containers.list(all=True, filters={
        'label': '%s=%s' % (rspec.LABEL_ENGINE, engine.instance)}) == []
