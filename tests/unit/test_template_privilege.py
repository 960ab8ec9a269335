"""Nothing in a capsule template reaches a container's privileges.

Capabilities, no-new-privileges and every other security setting come from
the engine's configuration (runtime/security.py) alone.  Here hypothesis
draws templates carrying privilege-looking keys (Kubernetes', Docker's,
Zun's spellings, and arbitrary ones) with arbitrary JSON values anywhere a
template can hold a key: either the API refuses the template, or the
runtime spec the driver receives is exactly that of the same template
without them (the key was ignored, as Zun ignores unknown spec keys).
tests/functional/test_isolation.py checks what the driver then gives Docker.
"""

import copy
import dataclasses
import types

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from heat_capsule.engine import records
from heat_capsule.engine.runtime import security
from heat_capsule.engine.runtime import spec as rspec
from heat_capsule.engine import validation

PRIVILEGE_KEYS = (
    'privileged', 'capabilities', 'capAdd', 'cap_add', 'CapAdd', 'add',
    'securityContext', 'security_opt', 'securityOpt', 'SecurityOpt',
    'allowPrivilegeEscalation', 'noNewPrivileges', 'no_new_privileges',
    'runAsUser', 'runAsNonRoot', 'seccompProfile', 'appArmorProfile',
    'devices', 'hostNetwork', 'hostPID', 'hostIPC', 'sysctls', 'userns',
    'hostConfig', 'HostConfig', 'host_config', 'cgroupParent', 'hostPath')

BASE = {
    'kind': 'capsule',
    'metadata': {'name': 'base', 'labels': {'app': 'web'}},
    'spec': {
        'initContainers': [{'name': 'prep', 'image': 'busybox',
                            'command': ['true'],
                            'volumeMounts': [{'name': 'data',
                                              'mountPath': '/data'}]}],
        'containers': [{'name': 'web', 'image': 'busybox',
                        'command': ['httpd', '-f'],
                        'ports': [{'containerPort': 80}],
                        'resources': {'requests': {'cpu': 0.5,
                                                   'memory': 64}},
                        'env': {'A': 'b'},
                        'volumeMounts': [{'name': 'data',
                                          'mountPath': '/data'}]}],
        'volumes': [{'name': 'data', 'cinder': {'size': 1,
                                                'autoRemove': True}}],
    },
}

# Where a key can be put: a path of keys/indexes to a mapping of BASE.
PLACES = (
    (), ('metadata',), ('spec',), ('spec', 'containers', 0),
    ('spec', 'initContainers', 0), ('spec', 'volumes', 0),
    ('spec', 'volumes', 0, 'cinder'), ('spec', 'containers', 0, 'resources'),
    ('spec', 'containers', 0, 'resources', 'requests'),
    ('spec', 'containers', 0, 'ports', 0),
    ('spec', 'containers', 0, 'volumeMounts', 0),
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(PRIVILEGE_KEYS) | st.text(max_size=8), inner,
        max_size=3),
    max_leaves=8)

CTX = types.SimpleNamespace(project_id='p', user_id='u')


def runtime_spec(template):
    """The CapsuleSpec the driver would get, without the random uuids."""
    capsule, volumes, _attach, _paths = records.build(template, CTX)
    made = records.to_spec(capsule, volumes)
    return _without_ids(dataclasses.asdict(made))


def _without_ids(value):
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items()
                if k not in ('uuid', 'volume_uuid')}
    if isinstance(value, (list, tuple)):
        return [_without_ids(v) for v in value]
    return value


EXPECTED = runtime_spec(validation.validate_create_body(
    {'template': copy.deepcopy(BASE)}))


@settings(max_examples=300, deadline=None)
@given(injected=st.lists(st.tuples(
    st.sampled_from(PLACES),
    st.sampled_from(PRIVILEGE_KEYS) | st.text(min_size=1, max_size=12),
    JSON), min_size=1, max_size=4))
def test_template_keys_never_reach_the_runtime(injected):
    template = copy.deepcopy(BASE)
    for place, key, value in injected:
        target = template
        for step in place:
            target = target[step]
        if key not in target:          # an extra key, not a known field
            target[key] = value
    try:
        accepted = validation.validate_create_body({'template': template})
    except validation.InvalidInput:
        return
    assert runtime_spec(accepted) == EXPECTED


def test_the_runtime_spec_has_no_privilege_field():
    fields = {f.name.lower() for cls in (rspec.ContainerSpec,
                                         rspec.CapsuleSpec)
              for f in dataclasses.fields(cls)}
    assert not fields & {k.lower() for k in PRIVILEGE_KEYS}


def test_container_security_comes_from_the_profile_only():
    profile = security.Profile()
    for role in (rspec.ROLE_INIT, rspec.ROLE_APP):
        assert profile.host_config(role) == {
            'cap_drop': ['ALL'], 'cap_add': sorted(security.DEFAULT),
            'security_opt': ['no-new-privileges:true']}
    assert profile.host_config(rspec.ROLE_SANDBOX) == {
        'cap_drop': ['ALL'], 'cap_add': None,
        'security_opt': ['no-new-privileges:true']}
    assert 'NET_RAW' not in security.DEFAULT
    assert set(security.DEFAULT) < set(security.DOCKER_DEFAULT)
