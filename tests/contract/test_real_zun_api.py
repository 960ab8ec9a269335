"""Contract test: OS::Zun::Capsule against the real zun-api 18.0.0.

Every template of templates/ is created through Heat's real engine against
a real zun-api, and must come out the way a user pointing the template at
a Zun cloud with no free host sees it: each capsule request accepted by
Zun's own validation (202), the resource failing with Zun's reason ("There
are not enough hosts available."), every attribute resolving without an
error, the stack delete completing and no capsule left in Zun. A template
that needs an engine-only feature (``created_when: healthy``) fails before
any request, in the resource's one short sentence.

What is real:

* zun-api 18.0.0 from PyPI (``zun``, its own venv, installed by
  tools/setup-zun-api.sh), unmodified, with its own api-paste.ini:
  keystonemiddleware, policy, the capsule template validation, the
  database layer, Zun's FilterScheduler and its Placement report client,
  its Neutron and Cinder clients (python-neutronclient, python-cinderclient);
* Zun's database: MariaDB from Debian on 127.0.0.1, schema from
  ``zun-db-manage upgrade``;
* Keystone: the all-in-one's (tools/allinone.sh, 127.0.0.1:5000). Heat's
  requests carry a real token of the all-in-one's ``demo`` user, which
  zun-api validates there; zun-api's service user is the all-in-one's
  ``admin``;
* Heat's engine (tests.support.heat_rig: EngineService, convergence,
  OS::Zun::Capsule loaded through plugin_dirs), the ``zun_capsule`` client
  plugin and python-zunclient over HTTP.

What is replaced (tests/support/zun_outbound.py): the three services
zun-api calls out to. Neutron answers with one project network, Placement
knows no resource provider (so Zun's own scheduler raises NoValidHost and
zun-api stores Zun's reason and answers 202), Cinder keeps volumes in
memory. zun-api reaches Keystone through that same process, which passes
every request through and only adds those three services to the catalogs
in Keystone's token bodies (the all-in-one's catalog is not changed). Heat's
catalog (the token body in Heat's request context) holds zun-api as the
``container`` service; the all-in-one's ``container`` endpoint (the bundled
engine, used by tests/e2e) is left as it is. There is no zun-compute and no
RPC (``transport_url = fake://``): no capsule ever gets a host.

Needs tools/setup-zun-api.sh (the README's test command runs it) and the
all-in-one's Keystone; skipped without them, failed instead when
``HEAT_CAPSULE_ZUN_CONTRACT=1`` says the run requires them.
"""

# heat_rig selects oslo.service's threading backend: import it before
# anything that imports Heat.
from tests.support import heat_rig

import glob  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402

from tests.e2e import base as e2e_base  # noqa: E402
from tests.support import zun_api as zun_support  # noqa: E402

REQUIRED = os.environ.get('HEAT_CAPSULE_ZUN_CONTRACT') == '1'
KEYSTONE = os.environ.get('HEAT_CAPSULE_ZUN_CONTRACT_KEYSTONE',
                          'http://127.0.0.1:5000')
TEMPLATES = sorted(os.path.basename(p) for p in
                   glob.glob(os.path.join(heat_rig.TEMPLATES_DIR, '*.yaml')))
CAPSULE_TYPE = 'OS::Zun::Capsule'
API_VERSION = {'OpenStack-API-Version': 'container 1.40'}

# Zun's reason for a capsule no host can take (zun/compute/api.py).
NO_HOST = 'There are not enough hosts available.'
# Resources that need the heat-capsule engine: refused before any request,
# with the resource's own sentence (heat_capsule/heat/features.py).
ENGINE_ONLY = {
    ('readiness.yaml', 'web'):
        'created_when "healthy" needs the heat-capsule engine',
}
SHORT_REASON = 300
# Outputs the test adds to a template, one per attribute of each capsule.
ATTR_OUTPUT = 'contract-attr-'


def _unavailable(reason):
    if REQUIRED:
        pytest.fail('contract test required (HEAT_CAPSULE_ZUN_CONTRACT=1) '
                    'but %s' % reason)
    pytest.skip(reason)


class KeystoneHeatRig(heat_rig.HeatRig):
    """The Heat rig with a real Keystone token in its request contexts.

    The token belongs to ``session``'s user, and the context's project and
    user are that token's, so zun-api (which validates the token with
    Keystone) and Heat agree on whose stacks and capsules these are. The
    catalog Heat reads stays the rig's: ``container`` is zun-api.
    """

    def __init__(self, container_url, session, **kwargs):
        super().__init__(container_url, **kwargs)
        self.session = session
        access = session.auth.get_access(session)
        self.project_id, self.user_id = access.project_id, access.user_id

    def context(self, roles=('member', 'reader'), catalog=True):
        ctx = super().context(roles, catalog)
        ctx.auth_token = self.session.get_token()
        return ctx


@pytest.fixture(scope='module')
def demo_session():
    try:
        session = e2e_base.keystone_session(e2e_base.CLOUD)
        session.get_token()
    except Exception as exc:  # noqa: no usable Keystone
        _unavailable('the all-in-one\'s Keystone is not usable: %s' % exc)
    return session


@pytest.fixture(scope='module')
def zun(demo_session):
    if not zun_support.installed():
        _unavailable('zun-api is not installed (bash tools/setup-zun-api.sh)')
    service_auth, _region = e2e_base.cloud_auth(e2e_base.ADMIN_CLOUD)
    server = zun_support.ZunApi(KEYSTONE, service_auth).start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def heat(zun, demo_session):
    rig = KeystoneHeatRig(zun.url + '/v1', demo_session).start()
    yield rig
    try:
        rig.delete_all()
    finally:
        rig.stop()


def zun_capsules(zun, session):
    resp = requests.get(zun.url + '/v1/capsules', timeout=30,
                        headers=dict(API_VERSION,
                                     **{'X-Auth-Token': session.get_token()}))
    assert resp.status_code == 200, resp.text
    return resp.json()['capsules']


def zun_creates(zun):
    """HTTP statuses zun-api answered POST /v1/capsules with, in order."""
    return [int(code) for code in re.findall(
        r'"POST /v1/capsules/? HTTP/1\.1" status: (\d+)',
        zun.log_tail('zun-api', lines=100000))]


def capsule_resources(heat, identity):
    return {r['resource_name']: r for r in heat.resources(identity)
            if r['resource_type'] == CAPSULE_TYPE}


def with_every_attribute(template, attribute_names):
    """``template`` plus one output per attribute of each capsule."""
    outputs = template.setdefault('outputs', {})
    for rname, resource in template['resources'].items():
        if resource.get('type') == CAPSULE_TYPE:
            for attr in attribute_names:
                outputs['%s%s-%s' % (ATTR_OUTPUT, rname, attr)] = {
                    'value': {'get_attr': [rname, attr]}}
    return template


@pytest.fixture
def clean(heat, zun, demo_session):
    """After a test, even a failed one: its stacks and capsules removed,
    so that one template's failure does not fail the next."""
    yield
    heat.delete_all()
    heat.stacks = []
    for capsule in zun_capsules(zun, demo_session):
        requests.delete('%s/v1/capsules/%s' % (zun.url, capsule['uuid']),
                        headers=dict(API_VERSION, **{
                            'X-Auth-Token': demo_session.get_token()}),
                        timeout=30)


@pytest.fixture(scope='module')
def attribute_names(heat):
    return sorted(heat.resource_schema(CAPSULE_TYPE)['attributes'])


def test_zun_api_is_the_real_one(zun):
    version = requests.get(zun.url + '/', timeout=10).json()
    assert version['name'] == 'OpenStack Zun API'
    assert version['versions'][0]['max_version'] == '1.40'
    # zun-api's version document has no extensions: the resource treats
    # it as offering none (heat_capsule/heat/features.py).
    assert 'extensions' not in version['versions'][0]


@pytest.mark.parametrize('template', TEMPLATES)
def test_template_against_real_zun_api(template, heat, zun, demo_session,
                                       attribute_names, clean):
    assert zun_capsules(zun, demo_session) == []
    creates_before = len(zun_creates(zun))
    name = 'contract-' + template.split('.')[0]
    identity = heat.create_stack(
        name, with_every_attribute(heat.parse(heat.read_template(template)),
                                   attribute_names),
        timeout_mins=3)
    stack = heat.wait(identity, 'CREATE', timeout=180)
    assert stack['stack_status'] == 'FAILED', stack['stack_status_reason']

    resources = capsule_resources(heat, identity)
    requested = []
    for rname, resource in resources.items():
        reason = resource['resource_status_reason']
        engine_only = ENGINE_ONLY.get((template, rname))
        if engine_only:
            assert resource['resource_status'] == 'FAILED', resource
            assert engine_only in reason
            assert len(reason) < SHORT_REASON, reason
            assert not resource['physical_resource_id'], resource
        elif resource['resource_action'] == 'INIT':
            continue    # waits on a resource that failed
        else:
            assert (resource['resource_action'],
                    resource['resource_status']) == ('CREATE', 'FAILED')
            assert NO_HOST in reason, reason
            assert len(reason) < SHORT_REASON, reason
            requested.append(resource['physical_resource_id'])
    assert requested or any(k[0] == template for k in ENGINE_ONLY)

    # Accepted by Zun's validation: one 202 per capsule, each stored with
    # Zun's own reason.
    assert zun_creates(zun)[creates_before:] == [202] * len(requested), \
        zun.log_tail('zun-api')
    served = {c['uuid']: c for c in zun_capsules(zun, demo_session)}
    assert sorted(served) == sorted(requested)
    for capsule in served.values():
        assert (capsule['status'], capsule['status_reason']) == (
            'Error', NO_HOST)

    # The template's outputs and every attribute of every capsule resolve
    # (heat_rig.outputs raises on an output error; Heat's resource show
    # would turn an attribute's error into null, so outputs are used).
    outputs = heat.outputs(identity)
    assert {k for k in outputs if k.startswith(ATTR_OUTPUT)} == {
        '%s%s-%s' % (ATTR_OUTPUT, r, a) for r in resources
        for a in attribute_names}

    heat.delete_stack(identity)
    deleted = heat.wait_deleted(identity)
    assert (deleted['stack_action'], deleted['stack_status']) == (
        'DELETE', 'COMPLETE'), deleted.get('stack_status_reason')
    assert zun_capsules(zun, demo_session) == []


def test_zun_api_went_through_its_own_clients(zun):
    """Zun's own path: its network lookup asked Neutron, its scheduler
    asked Placement for candidates, the volume templates' new volumes were
    asked of Cinder. (Runs after the templates.)"""
    calls = ['%s %s' % (c['method'], c['path']) for c in zun.calls()]
    for expected in ('GET /network/v2.0/networks?',
                     'GET /placement/allocation_candidates?',
                     'POST /volume/v3/'):
        assert any(c.startswith(expected) for c in calls), (expected, calls)
