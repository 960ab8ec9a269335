"""Validation of POST /v1/capsules bodies.

Each rule is one row of a table: the body, the field path the error must
name and a fragment of the message. Valid templates (Zun's tempest and
documentation examples) must pass and come back in normal form.
"""

import copy
import json
import random

import jsonschema
import pytest

from heat_capsule.engine.schemas import capsule as schema
from heat_capsule.engine import validation
from heat_capsule.engine.validation import InvalidInput
from heat_capsule.engine.validation import validate_create_body
from tests.support import bounds_table

VOLUME_ID = '5b7ae2a9-0b3a-4b7e-9a0c-6e2f0e6f1c11'


# --- builders ---------------------------------------------------------------

def body(spec=None, **template):
    """A valid body; ``spec`` and template keys override the defaults."""
    tpl = {
        'kind': 'capsule',
        'capsuleVersion': 'beta',
        'metadata': {'name': 'demo'},
        'spec': {'containers': [{'image': 'nginx'}]},
    }
    if spec is not None:
        tpl['spec'] = spec
    tpl.update(template)
    return {'template': tpl}


def with_metadata(**metadata):
    return body(metadata=metadata)


def with_spec(**spec):
    return body(spec=dict({'containers': [{'image': 'nginx'}]}, **spec))


def with_container(group, **fields):
    """A body whose containers[0] or initContainers[0] has ``fields``."""
    container = dict({'image': 'nginx'}, **fields)
    if group == 'containers':
        return with_spec(containers=[container])
    return with_spec(initContainers=[container])


def with_volume(**volume):
    """One volume 'data', mounted by the app container at /data."""
    vol = dict({'name': 'data', 'cinder': {'size': 1}}, **volume)
    return with_spec(
        containers=[{'image': 'nginx',
                     'volumeMounts': [{'name': 'data',
                                       'mountPath': '/data'}]}],
        volumes=[vol])


def with_cinder(**cinder):
    return with_volume(cinder=cinder)


def assert_invalid(request_body, path, fragment):
    with pytest.raises(InvalidInput) as info:
        validate_create_body(request_body)
    err = info.value
    assert err.path == path, str(err)
    assert fragment in err.message, str(err)
    assert str(err) == f"Invalid input for field '{path}': {err.message}"


# --- the body and the template container ------------------------------------

BODY_CASES = [
    ('body-list', [1, 2], 'body', "is not of type 'object'"),
    ('body-string', 'template', 'body', "is not of type 'object'"),
    ('body-number', 5, 'body', "is not of type 'object'"),
    ('body-null', None, 'body', "null is not of type 'object'"),
    ('body-bool', True, 'body', "is not of type 'object'"),
    ('body-empty', {}, 'body', "missing required field 'template'"),
    ('body-unknown-key', dict(body(), foo=1), 'body', "unknown field 'foo'"),
    ('template-number', {'template': 5}, 'template',
     "5 is not of type 'object'"),
    ('template-null', {'template': None}, 'template',
     "null is not of type 'object'"),
    ('template-list', {'template': []}, 'template',
     "is not of type 'object'"),
    ('template-json-string-not-object', {'template': '[1, 2]'}, 'template',
     "is not of type 'object'"),
    ('template-json-string-number', {'template': '5'}, 'template',
     "5 is not of type 'object'"),
    ('template-string-not-json', {'template': '{kind: capsule'}, 'template',
     'not valid JSON'),
    ('template-string-empty', {'template': ''}, 'template', 'not valid JSON'),
    ('template-json-string-validated',
     {'template': json.dumps(body(kind='Pod')['template'])},
     'template.kind', "'Pod' is not one of"),
]


@pytest.mark.parametrize('request_body,path,fragment',
                         [c[1:] for c in BODY_CASES],
                         ids=[c[0] for c in BODY_CASES])
def test_body(request_body, path, fragment):
    assert_invalid(request_body, path, fragment)


# --- template and metadata --------------------------------------------------

def _without(key):
    b = body()
    del b['template'][key]
    return b


TEMPLATE_CASES = [
    ('kind-missing', _without('kind'), 'template',
     "missing required field 'kind'"),
    ('kind-pod', body(kind='Pod'), 'template.kind',
     "'Pod' is not one of 'capsule', 'Capsule'"),
    ('kind-upper', body(kind='CAPSULE'), 'template.kind', 'is not one of'),
    ('capsule-version', body(capsuleVersion='v1'), 'template.capsuleVersion',
     "'v1' is not one of 'beta', 'Beta'"),
    ('metadata-missing', _without('metadata'), 'template',
     "missing required field 'metadata'"),
    ('metadata-not-object', body(metadata='demo'), 'template.metadata',
     "is not of type 'object'"),
    ('metadata-null', body(metadata=None), 'template.metadata',
     "null is not of type 'object'"),
    ('spec-missing', _without('spec'), 'template',
     "missing required field 'spec'"),
    ('name-too-short', with_metadata(name='a'), 'template.metadata.name',
     'too short (minimum 2 characters)'),
    ('name-too-long', with_metadata(name='a' * 256), 'template.metadata.name',
     'too long (maximum 255 characters)'),
    ('name-pattern', with_metadata(name='-demo'), 'template.metadata.name',
     'starting with a letter or digit'),
    ('name-space', with_metadata(name='my capsule'),
     'template.metadata.name', 'is not valid'),
    ('name-trailing-newline', with_metadata(name='demo\n'),
     'template.metadata.name', 'is not valid'),
    ('name-number', with_metadata(name=12), 'template.metadata.name',
     "12 is not of type 'string', 'null'"),
    ('labels-list', with_metadata(labels=['app=web']),
     'template.metadata.labels', "is not of type 'object', 'null'"),
    ('labels-number-value', with_metadata(labels={'port': 80}),
     'template.metadata.labels.port', 'numbers'),
    ('labels-bool-value', with_metadata(labels={'on': True}),
     'template.metadata.labels.on', 'label values must be strings'),
    ('labels-nested-object', with_metadata(labels={'app': {'a': 'b'}}),
     'template.metadata.labels.app', 'label values must be strings'),
    ('labels-nested-list', with_metadata(labels={'app': ['web']}),
     'template.metadata.labels.app', "is not of type 'string'"),
    ('labels-null-value', with_metadata(labels={'app': None}),
     'template.metadata.labels.app', "null is not of type 'string'"),
    ('annotations-string', with_metadata(annotations='a=b'),
     'template.metadata.annotations', "is not of type 'object', 'null'"),
    ('annotations-object-value', with_metadata(annotations={'k': {'a': 1}}),
     'template.metadata.annotations.k', 'annotation values must be strings'),
    ('annotations-key-with-dot', with_metadata(annotations={'a.b/c': 1}),
     "template.metadata.annotations['a.b/c']", "is not of type 'string'"),
    ('restart-policy-deprecated-lowercase', body(restartPolicy='always'),
     'template.restartPolicy',
     "'always' is not one of 'Always', 'OnFailure', 'Never'"),
    ('availability-zone-empty', body(availabilityZone=''),
     'template.availabilityZone', 'too short (minimum 1 character)'),
    ('availability-zone-number', body(availabilityZone=1),
     'template.availabilityZone', "is not of type 'string', 'null'"),
    ('availability-zone-too-long', body(availabilityZone='z' * 256),
     'template.availabilityZone', 'too long'),
    ('unknown-template-key', body(apiVersion='v1'), 'template',
     "unknown field 'apiVersion'"),
    ('nets-not-allowed', body(nets=[{'network': 'private'}]), 'template',
     "unknown field 'nets'"),
    ('unknown-template-keys-listed', body(nets=[], zz=1), 'template',
     "unknown fields 'nets', 'zz'"),
]


@pytest.mark.parametrize('request_body,path,fragment',
                         [c[1:] for c in TEMPLATE_CASES],
                         ids=[c[0] for c in TEMPLATE_CASES])
def test_template(request_body, path, fragment):
    assert_invalid(request_body, path, fragment)


# --- spec -------------------------------------------------------------------

SPEC_CASES = [
    ('spec-list', body(spec=[{'image': 'nginx'}]), 'template.spec',
     "is not of type 'object'"),
    ('containers-missing', body(spec={'restartPolicy': 'Always'}),
     'template.spec', "missing required field 'containers'"),
    ('containers-empty', body(spec={'containers': []}),
     'template.spec.containers', 'must have at least 1 item'),
    ('containers-object', body(spec={'containers': {'image': 'nginx'}}),
     'template.spec.containers', "is not of type 'array'"),
    ('containers-item-string', body(spec={'containers': ['nginx']}),
     'template.spec.containers[0]', "'nginx' is not of type 'object'"),
    ('init-containers-object', with_spec(initContainers={'image': 'busybox'}),
     'template.spec.initContainers', "is not of type 'array'"),
    ('init-containers-item-null', with_spec(initContainers=[None]),
     'template.spec.initContainers[0]', "null is not of type 'object'"),
    ('restart-policy-lowercase', with_spec(restartPolicy='always'),
     'template.spec.restartPolicy', "'always' is not one of"),
    ('restart-policy-unknown', with_spec(restartPolicy='Sometimes'),
     'template.spec.restartPolicy', 'is not one of'),
    ('volumes-object', with_spec(volumes={'name': 'data'}),
     'template.spec.volumes', "is not of type 'array', 'null'"),
    ('volumes-item-string', with_spec(volumes=['data']),
     'template.spec.volumes[0]', "is not of type 'object'"),
    # Pod-level host access is refused by name, never silently ignored.
    ('spec-host-network', with_spec(hostNetwork=True), 'template.spec',
     "field 'hostNetwork' is not allowed"),
    ('spec-host-pid', with_spec(hostPID=True), 'template.spec',
     "field 'hostPID' is not allowed"),
    ('spec-host-ipc', with_spec(hostIPC=True), 'template.spec',
     "field 'hostIPC' is not allowed"),
    ('spec-security-context', with_spec(securityContext={'runAsUser': 0}),
     'template.spec', "field 'securityContext' is not allowed"),
]


@pytest.mark.parametrize('request_body,path,fragment',
                         [c[1:] for c in SPEC_CASES],
                         ids=[c[0] for c in SPEC_CASES])
def test_spec(request_body, path, fragment):
    assert_invalid(request_body, path, fragment)


# --- containers AND init containers -----------------------------------------

# (id, container fields, path below the container, message fragment)
CONTAINER_CASES = [
    ('image-missing', {'image': None, '_drop': 'image'}, '',
     "missing required field 'image'"),
    ('image-too-short', {'image': 'a'}, '.image', 'too short'),
    ('image-too-long', {'image': 'a' * 256}, '.image', 'too long'),
    ('image-no-alnum-pair', {'image': '--'}, '.image', 'is not valid'),
    ('image-with-space', {'image': 'nginx latest'}, '.image', 'no spaces'),
    ('image-number', {'image': 5}, '.image', "5 is not of type 'string'"),
    ('image-null', {'image': None}, '.image', "null is not of type 'string'"),
    ('name-pattern', {'name': '_web'}, '.name', 'is not valid'),
    ('name-too-short', {'name': 'w'}, '.name', 'too short'),
    ('command-string', {'command': 'ls -l'}, '.command',
     "'ls -l' is not of type 'array'"),
    ('command-null-item', {'command': ['ls', None]}, '.command[1]',
     "null is not of type 'string'"),
    ('command-number-item', {'command': ['sleep', 10]}, '.command[1]',
     "10 is not of type 'string'"),
    ('args-null-item', {'args': [None]}, '.args[0]',
     "null is not of type 'string'"),
    ('args-object', {'args': {'a': 'b'}}, '.args', "is not of type 'array'"),
    ('env-k8s-list-form', {'env': [{'name': 'A', 'value': 'b'}]}, '.env',
     "an array is not of type 'object'"),
    ('env-number-value', {'env': {'PORT': 80}}, '.env.PORT',
     "80 is not of type 'string'"),
    ('env-null-value', {'env': {'A': None}}, '.env.A',
     "null is not of type 'string'"),
    ('env-name-with-equals', {'env': {'A=B': 'c'}}, ".env['A=B']",
     "must not contain '='"),
    ('env-empty-name', {'env': {'': 'c'}}, ".env['']", 'must not be empty'),
    ('workdir-number', {'workDir': 5}, '.workDir',
     "5 is not of type 'string', 'null'"),
    ('image-pull-policy-camel', {'imagePullPolicy': 'ifNotPresent'},
     '.imagePullPolicy', "'ifNotPresent' is not one of"),
    ('image-pull-policy-null', {'imagePullPolicy': None},
     '.imagePullPolicy', 'null is not one of'),
    ('stdin-yes', {'stdin': 'yes'}, '.stdin', 'use true or false'),
    ('stdin-number', {'stdin': 1}, '.stdin', '1 is not one of'),
    ('tty-upper', {'tty': 'TRUE'}, '.tty', "'TRUE' is not one of"),
    ('tty-null', {'tty': None}, '.tty', 'null is not one of'),
    ('ports-object', {'ports': {'containerPort': 80}}, '.ports',
     "is not of type 'array'"),
    ('ports-bare-number', {'ports': [80]}, '.ports[0]',
     "80 is not of type 'object'"),
    ('port-missing-container-port', {'ports': [{'protocol': 'TCP'}]},
     '.ports[0]', "missing required field 'containerPort'"),
    ('container-port-as-string', {'ports': [{'containerPort': '80'}]},
     '.ports[0].containerPort', "'80' is not of type 'integer'"),
    ('container-port-empty-string', {'ports': [{'containerPort': ''}]},
     '.ports[0].containerPort', "'' is not of type 'integer'"),
    ('container-port-zero', {'ports': [{'containerPort': 0}]},
     '.ports[0].containerPort', '0 is less than the minimum of 1'),
    ('container-port-too-big', {'ports': [{'containerPort': 70000}]},
     '.ports[0].containerPort', '70000 is greater than the maximum of 65535'),
    ('container-port-float', {'ports': [{'containerPort': 80.5}]},
     '.ports[0].containerPort', "80.5 is not of type 'integer'"),
    ('container-port-bool', {'ports': [{'containerPort': True}]},
     '.ports[0].containerPort', "true is not of type 'integer'"),
    ('host-port-too-big', {'ports': [{'containerPort': 80,
                                      'hostPort': 65536}]},
     '.ports[0].hostPort', 'greater than the maximum of 65535'),
    ('host-port-as-string', {'ports': [{'containerPort': 80,
                                        'hostPort': '80'}]},
     '.ports[0].hostPort', "'80' is not of type 'integer'"),
    ('protocol-lowercase', {'ports': [{'containerPort': 80,
                                       'protocol': 'tcp'}]},
     '.ports[0].protocol', "'tcp' is not one of 'TCP', 'UDP'"),
    ('protocol-sctp', {'ports': [{'containerPort': 80, 'protocol': 'SCTP'}]},
     '.ports[0].protocol', 'is not one of'),
    ('port-host-ip', {'ports': [{'containerPort': 80,
                                 'hostIP': '0.0.0.0'}]},
     '.ports[0]', "unknown field 'hostIP'"),
    ('resources-limits', {'resources': {'limits': {'cpu': 1}}},
     '.resources', "unknown field 'limits'"),
    ('resources-list', {'resources': []}, '.resources',
     "is not of type 'object'"),
    ('requests-unknown', {'resources': {'requests': {'gpu': 1}}},
     '.resources.requests', "unknown field 'gpu'"),
    ('cpu-as-string', {'resources': {'requests': {'cpu': '0.5'}}},
     '.resources.requests.cpu', "'0.5' is not of type 'number'"),
    ('cpu-millicores', {'resources': {'requests': {'cpu': '500m'}}},
     '.resources.requests.cpu', "'500m' is not of type 'number'"),
    ('cpu-too-small', {'resources': {'requests': {'cpu': 0.05}}},
     '.resources.requests.cpu', '0.05 is less than the minimum of 0.1'),
    ('cpu-too-big', {'resources': {'requests': {'cpu': 17}}},
     '.resources.requests.cpu', '17 is greater than the maximum of 16.0'),
    ('cpu-bool', {'resources': {'requests': {'cpu': True}}},
     '.resources.requests.cpu', "true is not of type 'number'"),
    ('cpu-nan', {'resources': {'requests': {'cpu': float('nan')}}},
     '.resources.requests.cpu', "is not of type 'number'"),
    ('cpu-infinity', {'resources': {'requests': {'cpu': float('inf')}}},
     '.resources.requests.cpu', "is not of type 'number'"),
    ('memory-as-string', {'resources': {'requests': {'memory': '128'}}},
     '.resources.requests.memory', "'128' is not of type 'integer'"),
    ('memory-with-unit', {'resources': {'requests': {'memory': '128Mi'}}},
     '.resources.requests.memory', 'whole number of MiB'),
    ('memory-fraction', {'resources': {'requests': {'memory': 128.5}}},
     '.resources.requests.memory', "128.5 is not of type 'integer'"),
    ('memory-too-small', {'resources': {'requests': {'memory': 5}}},
     '.resources.requests.memory', '5 is less than the minimum of 6'),
    ('memory-too-big', {'resources': {'requests': {'memory': 9000}}},
     '.resources.requests.memory', 'greater than the maximum of 8192'),
    ('volume-mounts-object', {'volumeMounts': {'name': 'data'}},
     '.volumeMounts', "is not of type 'array'"),
    ('volume-mount-no-name', {'volumeMounts': [{'mountPath': '/data'}]},
     '.volumeMounts[0]', "missing required field 'name'"),
    ('volume-mount-no-path', {'volumeMounts': [{'name': 'data'}]},
     '.volumeMounts[0]', "missing required field 'mountPath'"),
    ('volume-mount-bad-name', {'volumeMounts': [{'name': 'd',
                                                 'mountPath': '/d'}]},
     '.volumeMounts[0].name', 'too short'),
    ('mount-path-relative', {'volumeMounts': [{'name': 'data',
                                               'mountPath': 'data'}]},
     '.volumeMounts[0].mountPath', 'absolute path'),
    ('mount-path-root', {'volumeMounts': [{'name': 'data',
                                           'mountPath': '/'}]},
     '.volumeMounts[0].mountPath', 'not / itself'),
    ('mount-path-number', {'volumeMounts': [{'name': 'data',
                                             'mountPath': 1}]},
     '.volumeMounts[0].mountPath', "1 is not of type 'string'"),
    ('mount-sub-path', {'volumeMounts': [{'name': 'data', 'mountPath': '/d',
                                          'subPath': 'x'}]},
     '.volumeMounts[0]', "unknown field 'subPath'"),
    ('mount-read-only-yes', {'volumeMounts': [{'name': 'data',
                                               'mountPath': '/d',
                                               'readOnly': 'yes'}]},
     '.volumeMounts[0].readOnly', 'use true or false'),
    # Nothing may ask for privileges or host resources.
    ('privileged', {'privileged': True}, '',
     "unknown field 'privileged'"),
    ('security-context', {'securityContext': {'privileged': True}}, '',
     "unknown field 'securityContext'"),
    ('host-network', {'hostNetwork': True}, '',
     "unknown field 'hostNetwork'"),
    ('host-pid', {'hostPID': True}, '', "unknown field 'hostPID'"),
    ('host-ipc', {'hostIPC': True}, '', "unknown field 'hostIPC'"),
    ('cap-add', {'capAdd': ['SYS_ADMIN']}, '', "unknown field 'capAdd'"),
    ('capabilities', {'capabilities': {'add': ['NET_ADMIN']}}, '',
     "unknown field 'capabilities'"),
    ('devices', {'devices': ['/dev/sda']}, '', "unknown field 'devices'"),
    ('host-path', {'hostPath': '/etc'}, '', "unknown field 'hostPath'"),
    ('runtime', {'runtime': 'runc'}, '', "unknown field 'runtime'"),
    ('entrypoint', {'entrypoint': ['/bin/sh']}, '',
     "unknown field 'entrypoint'"),
    # The healthcheck extension: Zun's keys plus start_period, nothing else.
    ('healthcheck-no-cmd', {'healthcheck': {'interval': 1}}, '.healthcheck',
     "missing required field 'cmd'"),
    ('healthcheck-empty-cmd', {'healthcheck': {'cmd': ''}},
     '.healthcheck.cmd', ''),
    ('healthcheck-list-cmd', {'healthcheck': {'cmd': ['true']}},
     '.healthcheck.cmd', 'shell command'),
    ('healthcheck-string-interval', {'healthcheck': {'cmd': 'true',
                                                     'interval': '5s'}},
     '.healthcheck.interval', 'whole number of seconds'),
    ('healthcheck-zero-timeout', {'healthcheck': {'cmd': 'true',
                                                  'timeout': 0}},
     '.healthcheck.timeout', 'at least 1'),
    ('healthcheck-zero-retries', {'healthcheck': {'cmd': 'true',
                                                  'retries': 0}},
     '.healthcheck.retries', 'at least 1'),
    ('healthcheck-negative-start', {'healthcheck': {'cmd': 'true',
                                                    'start_period': -1}},
     '.healthcheck.start_period', '0 or more'),
    ('healthcheck-unknown-key', {'healthcheck': {'cmd': 'true',
                                                 'test': ['CMD', 'x']}},
     '.healthcheck', "unknown field 'test'"),
    ('labels', {'labels': {'a': 'b'}}, '', "unknown field 'labels'"),
    ('uuid', {'uuid': VOLUME_ID}, '', "unknown field 'uuid'"),
    ('liveness-probe', {'livenessProbe': {}}, '',
     "unknown field 'livenessProbe'"),
    ('snake-case-name', {'image_pull_policy': 'always'}, '',
     "unknown field 'image_pull_policy'"),
]


def _container_body(group, fields):
    fields = dict(fields)
    drop = fields.pop('_drop', None)
    request_body = with_container(group, **fields)
    if drop:
        del request_body['template']['spec'][group][0][drop]
    return request_body


@pytest.mark.parametrize('group', ['containers', 'initContainers'])
@pytest.mark.parametrize('fields,subpath,fragment',
                         [c[1:] for c in CONTAINER_CASES],
                         ids=[c[0] for c in CONTAINER_CASES])
def test_container(group, fields, subpath, fragment):
    assert_invalid(_container_body(group, fields),
                   f'template.spec.{group}[0]{subpath}', fragment)


def test_healthcheck_is_refused_on_init_containers():
    assert_invalid(with_container('initContainers',
                                  healthcheck={'cmd': 'true'}),
                   'template.spec.initContainers[0].healthcheck',
                   'only supported on app containers')


def test_healthcheck_on_an_app_container_passes():
    check = {'cmd': 'wget -q -O- http://localhost/', 'interval': 2,
             'timeout': 1, 'retries': 5, 'start_period': 0}
    template = validate_create_body(with_container('containers',
                                                   healthcheck=check))
    assert template['spec']['containers'][0]['healthcheck'] == check


def test_init_containers_share_the_container_schema():
    spec = schema.SPEC['properties']
    assert spec['containers']['items'] is schema.CONTAINER
    assert spec['initContainers']['items'] is schema.CONTAINER


# --- volumes ----------------------------------------------------------------

VOLUME_CASES = [
    ('volume-no-name', {'name': None, '_drop': 'name'},
     'template.spec.volumes[0]', "missing required field 'name'"),
    ('volume-name-pattern', {'name': '.data'},
     'template.spec.volumes[0].name', 'is not valid'),
    ('volume-no-cinder', {'cinder': None, '_drop': 'cinder'},
     'template.spec.volumes[0]', "missing required field 'cinder'"),
    ('volume-empty-dir', {'emptyDir': {}, '_drop': 'cinder'},
     'template.spec.volumes[0]', "missing required field 'cinder'"),
    ('volume-host-path-only', {'hostPath': {'path': '/'}, '_drop': 'cinder'},
     'template.spec.volumes[0]', "field 'hostPath' is not allowed"),
    ('volume-host-path-with-cinder', {'hostPath': {'path': '/etc'}},
     'template.spec.volumes[0]', "field 'hostPath' is not allowed"),
    ('cinder-not-object', {'cinder': VOLUME_ID},
     'template.spec.volumes[0].cinder', "is not of type 'object'"),
    ('cinder-empty', {'cinder': {}},
     'template.spec.volumes[0].cinder',
     'exactly one of volumeID or size is required'),
    ('cinder-auto-remove-only', {'cinder': {'autoRemove': True}},
     'template.spec.volumes[0].cinder', 'exactly one of volumeID or size'),
    ('cinder-id-and-size', {'cinder': {'volumeID': VOLUME_ID, 'size': 1}},
     'template.spec.volumes[0].cinder', 'exactly one of volumeID or size'),
    ('cinder-unknown-key', {'cinder': {'size': 1, 'type': 'ssd'}},
     'template.spec.volumes[0].cinder', "unknown field 'type'"),
    ('volume-id-short', {'cinder': {'volumeID': 'abc'}},
     'template.spec.volumes[0].cinder.volumeID', 'too short'),
    ('volume-id-long', {'cinder': {'volumeID': VOLUME_ID + '0'}},
     'template.spec.volumes[0].cinder.volumeID', 'too long'),
    ('volume-id-number', {'cinder': {'volumeID': 5}},
     'template.spec.volumes[0].cinder.volumeID', "is not of type 'string'"),
    ('size-as-string', {'cinder': {'size': '1'}},
     'template.spec.volumes[0].cinder.size', "'1' is not of type 'integer'"),
    ('size-fraction', {'cinder': {'size': 1.5}},
     'template.spec.volumes[0].cinder.size',
     'size is a whole number of GiB, at least 1'),
    ('size-zero', {'cinder': {'size': 0}},
     'template.spec.volumes[0].cinder.size',
     '0 is less than the minimum of 1'),
    ('size-negative', {'cinder': {'size': -1}},
     'template.spec.volumes[0].cinder.size', 'less than the minimum of 1'),
    ('auto-remove-yes', {'cinder': {'size': 1, 'autoRemove': 'yes'}},
     'template.spec.volumes[0].cinder.autoRemove', 'use true or false'),
    ('auto-remove-number', {'cinder': {'size': 1, 'autoRemove': 0}},
     'template.spec.volumes[0].cinder.autoRemove', '0 is not one of'),
]


def _volume_body(fields):
    fields = dict(fields)
    drop = fields.pop('_drop', None)
    request_body = with_volume(**fields)
    if drop:
        del request_body['template']['spec']['volumes'][0][drop]
    return request_body


@pytest.mark.parametrize('fields,path,fragment',
                         [c[1:] for c in VOLUME_CASES],
                         ids=[c[0] for c in VOLUME_CASES])
def test_volume(fields, path, fragment):
    assert_invalid(_volume_body(fields), path, fragment)


# --- rules beyond the schema ------------------------------------------------

def _mount(name, path='/data'):
    return {'name': name, 'mountPath': path}


SEMANTIC_CASES = [
    ('mount-undeclared-volume',
     with_spec(containers=[{'image': 'nginx',
                            'volumeMounts': [_mount('nope')]}]),
     'template.spec.containers[0].volumeMounts[0].name',
     "volume 'nope' is not declared in template.spec.volumes"),
    ('mount-undeclared-volume-no-volumes-key',
     with_spec(containers=[{'image': 'nginx',
                            'volumeMounts': [_mount('nope')]}],
               volumes=None),
     'template.spec.containers[0].volumeMounts[0].name', 'is not declared'),
    ('init-mount-undeclared-volume',
     with_spec(initContainers=[{'image': 'busybox',
                                'volumeMounts': [_mount('nope')]}]),
     'template.spec.initContainers[0].volumeMounts[0].name',
     'is not declared'),
    ('volume-not-mounted',
     with_spec(volumes=[{'name': 'data', 'cinder': {'size': 1}}]),
     'template.spec.volumes[0].name',
     "volume 'data' is not mounted by any container or init container"),
    ('duplicate-volume-name',
     with_spec(containers=[{'image': 'nginx',
                            'volumeMounts': [_mount('data')]}],
               volumes=[{'name': 'data', 'cinder': {'size': 1}},
                        {'name': 'data', 'cinder': {'size': 2}}]),
     'template.spec.volumes[1].name',
     "duplicate volume name 'data' (also template.spec.volumes[0].name)"),
    ('duplicate-container-name',
     with_spec(containers=[{'image': 'nginx', 'name': 'web'},
                           {'image': 'redis', 'name': 'web'}]),
     'template.spec.containers[1].name',
     "duplicate container name 'web' (also template.spec.containers[0].name)"),
    ('duplicate-name-app-and-init',
     with_spec(containers=[{'image': 'nginx', 'name': 'web'}],
               initContainers=[{'image': 'busybox', 'name': 'web'}]),
     'template.spec.initContainers[0].name',
     'unique across containers and initContainers'),
    ('duplicate-name-between-inits',
     with_spec(initContainers=[{'image': 'busybox', 'name': 'setup'},
                               {'image': 'busybox', 'name': 'setup'}]),
     'template.spec.initContainers[1].name', "duplicate container name"),
    ('duplicate-mount-path',
     with_spec(containers=[{'image': 'nginx',
                            'volumeMounts': [_mount('one', '/data'),
                                             _mount('two', '/data/')]}],
               volumes=[{'name': 'one', 'cinder': {'size': 1}},
                        {'name': 'two', 'cinder': {'size': 1}}]),
     'template.spec.containers[0].volumeMounts[1].mountPath',
     'is the same path as volumeMounts[0] of this container once '
     'normalised (/data)'),
    ('nul-in-command',
     with_container('containers', command=['echo', 'a\x00b']),
     'template.spec.containers[0].command[1]', 'no NUL characters'),
    ('lone-surrogate-in-label', with_metadata(labels={'a': '\ud800'}),
     'template.metadata.labels.a', 'unpaired surrogates'),
    ('nul-in-env-name',
     with_container('initContainers', env={'A\x00': 'b'}),
     "template.spec.initContainers[0].env['A\\x00']", 'no NUL characters'),
]


@pytest.mark.parametrize('request_body,path,fragment',
                         [c[1:] for c in SEMANTIC_CASES],
                         ids=[c[0] for c in SEMANTIC_CASES])
def test_semantic(request_body, path, fragment):
    assert_invalid(request_body, path, fragment)


def test_first_error_is_chosen_by_path():
    # kind, the container image and the cpu are all wrong: the error named
    # is the one with the smallest path, every time.
    bad = body(kind='Pod', spec={'containers': [
        {'image': 5, 'resources': {'requests': {'cpu': '1'}}}]})
    for _ in range(5):
        assert_invalid(copy.deepcopy(bad), 'template.kind', 'is not one of')
    del bad['template']['kind']
    assert_invalid(bad, 'template', "missing required field 'kind'")


def test_schema_errors_come_before_semantic_errors():
    bad = with_spec(containers=[{'image': 'nginx', 'name': 'web'},
                                {'image': 'nginx', 'name': 'web',
                                 'tty': 'maybe'}])
    assert_invalid(bad, 'template.spec.containers[1].tty', 'is not one of')


def test_long_values_are_shortened_in_messages():
    with pytest.raises(InvalidInput) as info:
        validate_create_body(with_container('containers', image=5 * 'x' + ' ' +
                                            1000 * 'y'))
    assert len(info.value.message) < 200


def test_invalid_input_attributes():
    err = InvalidInput('template.kind', 'is wrong')
    assert err.path == 'template.kind'
    assert err.message == 'is wrong'
    assert str(err) == "Invalid input for field 'template.kind': is wrong"
    assert InvalidInput('', 'x').path == 'body'


def test_schema_is_valid_draft7():
    jsonschema.Draft7Validator.check_schema(schema.CREATE)


# --- valid templates --------------------------------------------------------

# zun-tempest-plugin datagen.capsule_data() default body.
TEMPEST_MINIMAL = {'template': {
    'kind': 'capsule',
    'capsuleVersion': 'beta',
    'metadata': {'name': 'tempest-capsule-123456'},
    'spec': {'containers': [{'image': 'cirros:latest'}]},
}}

# zun-tempest-plugin test_create_capsule_full.
TEMPEST_FULL = {'template': {
    'capsuleVersion': 'beta',
    'kind': 'capsule',
    'metadata': {'labels': {'app': 'web', 'app1': 'web1'},
                 'name': 'capsule-full'},
    'spec': {
        'restartPolicy': 'Always',
        'containers': [{
            'image': 'ubuntu',
            'command': ['/bin/bash'],
            'env': {'ENV1': '/usr/local/bin', 'ENV2': '/usr/bin'},
            'ports': [{'containerPort': 80, 'hostPort': 80,
                       'name': 'nginx-port', 'protocol': 'TCP'}],
            'resources': {'requests': {'cpu': 1, 'memory': 256}},
            'workDir': '/root',
        }],
    },
}}

# zun-tempest-plugin test_create_capsule_with_init_container.
TEMPEST_INIT = {'template': {
    'kind': 'capsule',
    'capsuleVersion': 'beta',
    'metadata': {'name': 'capsule-init'},
    'spec': {
        'initContainers': [{
            'image': 'cirros',
            'command': ['/bin/sh', '-c',
                        "echo 'hello' > /work-dir/index.html"],
            'volumeMounts': [{'name': 'workdir', 'mountPath': '/work-dir'}],
        }],
        'containers': [{
            'image': 'nginx',
            'volumeMounts': [{'name': 'workdir',
                              'mountPath': '/usr/share/nginx/html'}],
            'ports': [{'containerPort': 80, 'protocol': 'TCP'}],
        }],
        'volumes': [{'name': 'workdir',
                     'cinder': {'size': 1, 'autoRemove': True}}],
    },
}}

# zun-tempest-plugin test_create_capsule_with_volume.
TEMPEST_VOLUME = {'template': {
    'kind': 'capsule',
    'metadata': {'name': 'capsule-volume'},
    'spec': {
        'containers': [{
            'image': 'cirros',
            'volumeMounts': [{'name': 'test-volume',
                              'mountPath': '/test-volume'}],
        }],
        'volumes': [{'name': 'test-volume',
                     'cinder': {'volumeID': VOLUME_ID}}],
    },
}}

# Zun's capsule quick start (documentation) template.
DOCS_QUICK_START = {'template': {
    'kind': 'capsule',
    'capsuleVersion': 'beta',
    'metadata': {'name': 'template', 'labels': {'app': 'web', 'foo': 'bar'}},
    'spec': {
        'restartPolicy': 'Always',
        'initContainers': [{
            'workDir': '/',
            'command': ['wget', '-O', '/work-dir/index.html',
                        'https://www.openstack.org/'],
            'env': {'ENV1': 'env1-value1'},
            'image': 'busybox',
            'volumeMounts': [{'mountPath': '/work-dir', 'name': 'workdir'}],
            'resources': {'requests': {'cpu': 0.1, 'memory': 128}},
        }],
        'containers': [{
            'workDir': '/',
            'env': {'ENV2': 'env2-value'},
            'image': 'nginx',
            'volumeMounts': [{'mountPath': '/usr/share/nginx/html',
                              'name': 'workdir'}],
            'ports': [{'protocol': 'TCP', 'containerPort': 80}],
            'resources': {'requests': {'cpu': 0.5, 'memory': 512}},
        }],
        'volumes': [{'name': 'workdir',
                     'cinder': {'size': 1, 'autoRemove': True}}],
    },
}}

# Everything optional, at its edges.
EDGES = {'template': {
    'kind': 'Capsule',
    'capsuleVersion': 'Beta',
    'restartPolicy': 'Never',
    'availabilityZone': None,
    'metadata': {'name': None, 'labels': None, 'annotations': None},
    'spec': {
        'restartPolicy': 'OnFailure',
        'volumes': None,
        'initContainers': [],
        'containers': [{
            'name': None,
            'image': 'registry.example.com:5000/team/app@sha256:' + 64 * 'a',
            'command': [],
            'args': [''],
            'env': {},
            'workDir': None,
            'imagePullPolicy': 'IfNotPresent',
            'stdin': False,
            'tty': True,
            'ports': [{'containerPort': 1, 'name': None},
                      {'containerPort': 65535, 'protocol': 'UDP'}],
            'resources': {},
            'volumeMounts': [],
        }, {
            'image': 'ab',
            'resources': {'requests': {}},
        }, {
            'image': 'nginx',
            'resources': {'requests': {'cpu': 16.0, 'memory': 8192}},
        }, {
            'image': 'nginx',
            'resources': {'requests': {'cpu': 0.1, 'memory': 6}},
        }],
    },
}}


@pytest.mark.parametrize('request_body', [
    TEMPEST_MINIMAL, TEMPEST_FULL, TEMPEST_INIT, TEMPEST_VOLUME,
    DOCS_QUICK_START, EDGES,
], ids=['tempest-minimal', 'tempest-full', 'tempest-init-container',
        'tempest-volume', 'docs-quick-start', 'optional-edges'])
def test_valid_templates_pass_unchanged(request_body):
    original = copy.deepcopy(request_body)
    assert validate_create_body(request_body) == original['template']
    assert request_body == original  # the caller's body is never modified


def test_string_booleans_are_normalised():
    request_body = copy.deepcopy(TEMPEST_INIT)
    spec = request_body['template']['spec']
    spec['initContainers'][0].update(stdin='True', tty='false')
    spec['containers'][0].update(stdin='false', tty='true')
    spec['containers'][0]['volumeMounts'][0]['readOnly'] = 'True'
    spec['volumes'][0]['cinder']['autoRemove'] = 'true'
    spec['volumes'].append({'name': 'extra',
                            'cinder': {'size': 2, 'autoRemove': 'False'}})
    spec['containers'][0]['volumeMounts'].append(
        {'name': 'extra', 'mountPath': '/extra', 'readOnly': False})

    result = validate_create_body(request_body)

    out = result['spec']
    assert out['initContainers'][0]['stdin'] is True
    assert out['initContainers'][0]['tty'] is False
    assert out['containers'][0]['stdin'] is False
    assert out['containers'][0]['tty'] is True
    assert out['containers'][0]['volumeMounts'][0]['readOnly'] is True
    assert out['containers'][0]['volumeMounts'][1]['readOnly'] is False
    assert out['volumes'][0]['cinder']['autoRemove'] is True
    assert out['volumes'][1]['cinder']['autoRemove'] is False
    # ... and the caller's body still holds the strings.
    assert spec['containers'][0]['tty'] == 'true'


def test_json_string_template_is_parsed_and_normalised():
    template = copy.deepcopy(TEMPEST_FULL['template'])
    template['spec']['containers'][0]['tty'] = 'True'
    result = validate_create_body({'template': json.dumps(template)})
    template['spec']['containers'][0]['tty'] = True
    assert result == template


def test_ignored_keys_are_accepted_and_dropped():
    request_body = copy.deepcopy(TEMPEST_INIT)
    tpl = request_body['template']
    tpl['metadata']['namespace'] = 'default'
    tpl['metadata']['uid'] = {'any': ['thing']}
    tpl['spec']['dnsPolicy'] = 'ClusterFirst'
    tpl['spec']['nodeSelector'] = {'disk': 'ssd'}
    tpl['spec']['volumes'][0]['emptyDir'] = {}

    result = validate_create_body(request_body)

    assert result == TEMPEST_INIT['template']


def test_auto_remove_on_volume_id_is_accepted():
    request_body = copy.deepcopy(TEMPEST_VOLUME)
    cinder = request_body['template']['spec']['volumes'][0]['cinder']
    cinder['autoRemove'] = 'true'
    result = validate_create_body(request_body)
    assert result['spec']['volumes'][0]['cinder'] == {
        'volumeID': VOLUME_ID, 'autoRemove': True}


def test_a_volume_may_be_mounted_by_init_containers_only():
    request_body = copy.deepcopy(TEMPEST_INIT)
    del request_body['template']['spec']['containers'][0]['volumeMounts']
    validate_create_body(request_body)


def test_unique_container_names_pass():
    validate_create_body(with_spec(
        containers=[{'image': 'nginx', 'name': 'web'},
                    {'image': 'nginx', 'name': None},
                    {'image': 'nginx', 'name': None}],
        initContainers=[{'image': 'busybox', 'name': 'setup'},
                        {'image': 'busybox'}]))


def test_whole_float_size_is_an_integer():
    validate_create_body(with_cinder(size=1.0))


# --- robustness -------------------------------------------------------------

GARBAGE = [
    None, True, False, 0, -1, 1, 80, 1.5, 1e308, 10 ** 30, float('nan'),
    float('inf'), '', 'x', '80', '0.5', 'true', 'True', '\x00', '\ud800',
    'a' * 300, '/', [], [None], [1, 'a'], {}, {'a': None}, {'image': 5},
    [[[[[[[[[[]]]]]]]]]], {'a': {'b': {'c': [{'d': None}]}}},
]
KEYS = ['privileged', 'name', 'image', 'cinder', 'size', 'volumeID',
        'containers', 'initContainers', 'volumes', 'volumeMounts', 'x', '',
        'kind', 'metadata', 'spec', 'ports', 'containerPort', 'hostPath']


def _nodes(value, parent=None, key=None):
    """Every (container, key) slot in a JSON value."""
    if parent is not None:
        yield parent, key
    if isinstance(value, dict):
        for k in list(value):
            yield from _nodes(value[k], value, k)
    elif isinstance(value, list):
        for i in range(len(value)):
            yield from _nodes(value[i], value, i)


def _mutate(rng, value):
    slots = list(_nodes(value))
    if not slots:
        return rng.choice(GARBAGE)
    parent, key = rng.choice(slots)
    action = rng.random()
    if action < 0.6:
        parent[key] = copy.deepcopy(rng.choice(GARBAGE))
    elif action < 0.75:
        del parent[key]
    elif action < 0.9 and isinstance(parent, dict):
        parent[rng.choice(KEYS)] = copy.deepcopy(rng.choice(GARBAGE))
    elif isinstance(parent, list):
        parent.append(copy.deepcopy(rng.choice(GARBAGE + [parent[key]])))
    else:
        parent[key] = copy.deepcopy(rng.choice([[], {}, [parent[key]]]))
    return value


def test_fuzz_only_invalid_input_or_success():
    rng = random.Random(0)
    seeds = [TEMPEST_MINIMAL, TEMPEST_FULL, TEMPEST_INIT, TEMPEST_VOLUME,
             DOCS_QUICK_START, EDGES]
    outcomes = {'ok': 0, 'invalid': 0}
    for _ in range(2000):
        candidate = copy.deepcopy(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            candidate = _mutate(rng, candidate)
        if rng.random() < 0.1 and isinstance(candidate, dict):
            candidate['template'] = json.dumps(candidate.get('template'))
        try:
            result = validate_create_body(candidate)
        except InvalidInput as e:
            assert isinstance(e.path, str) and e.path
            assert str(e).startswith(f"Invalid input for field '{e.path}': ")
            outcomes['invalid'] += 1
        else:
            assert isinstance(result, dict)
            outcomes['ok'] += 1
    # The mutations must exercise both sides.
    assert outcomes['ok'] > 50 and outcomes['invalid'] > 1000, outcomes


def test_deeply_nested_garbage_is_invalid_input():
    deep = []
    for _ in range(2000):
        deep = [deep]
    for request_body in (
            {'template': deep},
            body(kind=deep),
            with_container('containers', env=deep),
            with_metadata(labels={'a': deep}),
            {'template': '[' * 5000 + ']' * 5000}):
        with pytest.raises(InvalidInput):
            validate_create_body(request_body)


def test_deep_garbage_in_ignored_keys_is_accepted():
    deep = {}
    for _ in range(500):
        deep = {'a': deep}
    request_body = with_spec(nodeSelector=deep)
    request_body['template']['metadata']['extra'] = deep
    assert 'nodeSelector' not in validate_create_body(request_body)['spec']


def test_module_exports():
    assert validation.validate_create_body is validate_create_body
    assert issubclass(InvalidInput, Exception)


# --- Docker's bounds: accepted at the edge, refused just past it -------------

def _bounds_body(kind, value):
    """(body, path of the refused field) for one row of bounds_table."""
    c = {'image': 'busybox'}
    spec = {'containers': [c]}
    base = 'template.spec.containers[0]'
    if kind == 'memory':
        c['resources'] = {'requests': {'memory': value}}
        return with_spec(**spec), base + '.resources.requests.memory'
    if kind == 'cpu':
        c['resources'] = {'requests': {'cpu': value}}
        return with_spec(**spec), base + '.resources.requests.cpu'
    if kind == 'port':
        c['ports'] = [{'containerPort': value}]
        return with_spec(**spec), base + '.ports[0].containerPort'
    if kind == 'image':
        c['image'] = value
        return with_spec(**spec), base + '.image'
    if kind == 'workdir':
        c['workDir'] = value
        return with_spec(**spec), base + '.workDir'
    if kind == 'arg':
        c['args'] = [value]
        return with_spec(**spec), base + '.args[0]'
    if kind == 'exec_total':
        c['args'] = list(value)
        return with_spec(**spec), base
    if kind == 'env':
        c['env'] = dict(value)
        return with_spec(**spec), validation.format_path(
            ('template', 'spec', 'containers', 0, 'env', next(iter(value))))
    if kind == 'volume_id_pair':
        c['volumeMounts'] = [_mount('one', '/one'), _mount('two', '/two')]
        spec['volumes'] = [{'name': 'one', 'cinder': {'volumeID': value[0]}},
                           {'name': 'two', 'cinder': {'volumeID': value[1]}}]
        return with_spec(**spec), 'template.spec.volumes[1].cinder.volumeID'
    mounts = bounds_table.mounts(kind, value)
    c['volumeMounts'] = [dict(_mount('v%d' % i, path), readOnly=ro)
                         for i, (path, ro) in enumerate(mounts)]
    spec['volumes'] = [{'name': 'v%d' % i, 'cinder': {'size': 1}}
                       for i in range(len(mounts))]
    return with_spec(**spec), (base + '.volumeMounts[%d].mountPath'
                               % (len(mounts) - 1))


@pytest.mark.parametrize('kind,edge,past,fragment',
                         [row[1:] for row in bounds_table.TABLE],
                         ids=bounds_table.IDS)
def test_docker_bound(kind, edge, past, fragment):
    request_body, _path = _bounds_body(kind, edge)
    validate_create_body(request_body)
    request_body, path = _bounds_body(kind, past)
    assert_invalid(request_body, path, fragment)


@pytest.mark.parametrize('host_cpus,edge,past', bounds_table.HOST_CPU_ROWS)
def test_cpu_bound_of_the_docker_host(host_cpus, edge, past):
    request_body, path = _bounds_body('cpu', edge)
    validate_create_body(request_body, host_cpus=host_cpus)
    request_body, path = _bounds_body('cpu', past)
    with pytest.raises(InvalidInput) as info:
        validate_create_body(request_body, host_cpus=host_cpus)
    assert info.value.path == path
    assert f'more than the {host_cpus} CPUs of the Docker host' in (
        info.value.message)
    # Unknown host (an API-only engine): only the schema's bound applies.
    validate_create_body(request_body, host_cpus=None)


def test_init_containers_get_the_same_bounds():
    request_body = with_container('initContainers', workDir='/proc/x')
    assert_invalid(request_body, 'template.spec.initContainers[0].workDir',
                   '/proc')


def test_repeated_volume_id_names_the_second_occurrence():
    mounts = [_mount(n, '/' + n) for n in ('one', 'two', 'three')]
    request_body = with_spec(
        containers=[{'image': 'nginx', 'volumeMounts': mounts}],
        volumes=[{'name': n, 'cinder': {'volumeID': VOLUME_ID}}
                 for n in ('one', 'two', 'three')])
    assert_invalid(request_body, 'template.spec.volumes[1].cinder.volumeID',
                   f'volume {VOLUME_ID} is already used by '
                   'template.spec.volumes[0]')
