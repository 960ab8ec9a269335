"""What the engine's Docker objects are called, and the size label.

* the sandbox of a capsule: ``hc-<capsule uuid>``;
* an init or app container: ``hc-<capsule uuid>-<container name>``, the
  characters Docker refuses in a name replaced by ``_``;
* a capsule volume: ``hc-vol-<volume uuid>``.

The labels on them (owner, capsule, role...) are ``runtime.spec``'s.
"""

import re

from heat_capsule.engine.runtime import spec

# On a Docker volume: the GiB asked for (recorded, not enforced; see the
# package docstring).
LABEL_SIZE = spec.LABEL_PREFIX + 'size-gib'

_NAME_UNSAFE = re.compile(r'[^a-zA-Z0-9_.-]')


def sandbox_name(capsule_uuid):
    return 'hc-%s' % capsule_uuid


def container_name(capsule_uuid, name):
    """Docker name of a capsule container (unsafe characters become '_')."""
    return 'hc-%s-%s' % (capsule_uuid, _NAME_UNSAFE.sub('_', name))


def volume_name(volume_uuid):
    return 'hc-vol-%s' % volume_uuid


def default_hostname(capsule_uuid):
    """Hostname of a capsule without one: 'capsule-' + 8 hex digits."""
    return 'capsule-%s' % capsule_uuid.replace('-', '')[:8]
