"""JSON schema (Draft 7) for ``POST /v1/capsules``.

The schema accepts every template that Zun 18.0.0 accepts and can actually
run. It is stricter in the places where Zun lets bad input through to a 500
or to a silent misbehaviour (see docs of ``heat_capsule.engine.validation``):

* ``spec.initContainers`` items use the same CONTAINER schema as
  ``spec.containers`` (Zun does not validate them at all).
* numbers sent as strings (cpu, memory, containerPort, size) are rejected;
* ``"yes"``-style booleans are rejected; the strings True/true/False/false
  are accepted, and the validator turns them into real booleans;
* ports are limited to 1-65535, volume sizes to whole GiB >= 1, label and
  annotation values to strings, command/args items to strings;
* fields that would ask for host access (``hostPath`` volumes,
  ``hostNetwork``/``hostPID``/``hostIPC``/``securityContext`` in the spec)
  are named and refused instead of being silently ignored.

Numeric and length bounds come from ``heat_capsule.bounds`` (what Docker
20.10 will run), which ``OS::Zun::Capsule`` applies too.

Checks that a schema cannot express (a volume needs exactly one of volumeID
or size, mounts must name declared volumes, names must be unique...) live in
``heat_capsule.engine.validation``.

Non-standard keyword: ``x-hint`` is a short sentence the validator appends to
value errors (type, enum, pattern, range) raised by that subschema. JSON
schema validators ignore unknown keywords.
"""

from heat_capsule import bounds
from heat_capsule import names

# Matches the whole string. The trailing ``(?!\n)`` keeps Python's ``$``
# (which also matches before a final newline) from accepting "name\n"; in
# ECMA-262 regexes it is a no-op.
NAME_PATTERN = r'^[a-zA-Z0-9][a-zA-Z0-9_.-]+$(?!\n)'
NAME_HINT = ("use 2-255 letters, digits, '_', '.' or '-', starting with a "
             "letter or digit")

IMAGE_PULL_POLICIES = ['never', 'always', 'ifnotpresent',
                       'Never', 'Always', 'IfNotPresent']

# A boolean, or one of the strings Zun (and oslo's strutils) accept.
BOOLEAN = {
    'enum': [True, False, 'True', 'true', 'False', 'false'],
    'x-hint': 'use true or false',
}
TRUE_STRINGS = ('True', 'true')
FALSE_STRINGS = ('False', 'false')

# A key that must not appear at all (the validator reports it as "field 'x'
# is not allowed"). Not the ``False`` schema: jsonschema 4.26 drops the
# property name from the error path of a ``False`` subschema.
FORBIDDEN = {'not': {}}

NAME = {
    'type': 'string',
    'minLength': 2,
    'maxLength': 255,
    'pattern': NAME_PATTERN,
    'x-hint': NAME_HINT,
}
NULLABLE_NAME = dict(NAME, type=['string', 'null'])

STRING_MAP = {
    'type': 'object',
    'additionalProperties': {'type': 'string'},
}

LABELS = {
    'type': ['object', 'null'],
    'additionalProperties': {
        'type': 'string',
        'x-hint': 'label values must be strings (numbers, booleans, lists '
                  'and objects are not accepted; quote numbers)',
    },
}

ANNOTATIONS = {
    'type': ['object', 'null'],
    'additionalProperties': {
        'type': 'string',
        'x-hint': 'annotation values must be strings',
    },
}

METADATA = {
    'type': 'object',
    'properties': {
        'name': NULLABLE_NAME,
        'labels': LABELS,
        'annotations': ANNOTATIONS,
    },
    # Zun accepts and ignores any other metadata key; so do we.
    'additionalProperties': True,
}

STRING_LIST = {
    'type': 'array',
    'items': {'type': 'string'},
}

# Names (non-empty, no '=') and sizes are checked by validation, which names
# the variable.
ENV = {
    'type': 'object',
    'additionalProperties': {'type': 'string'},
}

IMAGE = {
    'type': 'string',
    'minLength': bounds.IMAGE_MIN_LENGTH,
    'maxLength': bounds.IMAGE_MAX_LENGTH,
    # Docker's reference grammar (Zun only asks for two name characters
    # somewhere in the string, and Docker refuses the rest at create).
    'pattern': bounds.IMAGE_PATTERN,
    'x-hint': bounds.IMAGE_HINT,
}

PORT_NUMBER = {
    'type': 'integer',
    'minimum': bounds.PORT_MIN,
    'maximum': bounds.PORT_MAX,
}

PORT = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['containerPort'],
    'properties': {
        'containerPort': PORT_NUMBER,
        # Published on that port of [runtime] publish_address (Zun
        # ignores it; the engine honours it as Kubernetes does).
        'hostPort': PORT_NUMBER,
        'name': {'type': ['string', 'null'], 'maxLength': 255},
        'protocol': {'enum': ['TCP', 'UDP']},
    },
}

RESOURCES = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'requests': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {
                'cpu': {
                    'type': 'number',
                    'minimum': bounds.CPU_MIN,
                    'maximum': bounds.CPU_MAX,
                    'x-hint': 'cpu is a number of CPUs, e.g. 0.5',
                },
                'memory': {
                    'type': 'integer',
                    # Docker refuses less than 6 MiB.
                    'minimum': bounds.MEMORY_MIN,
                    'maximum': bounds.MEMORY_MAX,
                    'x-hint': 'memory is a whole number of MiB, e.g. 256',
                },
            },
        },
    },
}

VOLUME_MOUNT = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['name', 'mountPath'],
    'properties': {
        'name': NAME,
        # Absolute; validation checks it once normalised (not /, not a
        # place the runtime owns, unique in its container).
        'mountPath': {
            'type': 'string',
            'maxLength': bounds.PATH_SPELLING_MAX,
            'pattern': '^/',
            'x-hint': 'use an absolute path such as /data',
        },
        # Honoured (a read-only Docker mount); Zun ignores it.
        'readOnly': BOOLEAN,
    },
}


def _seconds(minimum, hint):
    return {'type': 'integer', 'minimum': minimum, 'maximum': 3600,
            'x-hint': hint}


# Engine extension (Zun takes a healthcheck on plain containers, not in
# capsules): Zun's container healthcheck keys plus start_period. ``cmd`` runs
# through the container's shell, as with Zun and Docker's CMD-SHELL; the
# times are whole seconds.
HEALTHCHECK = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['cmd'],
    'properties': {
        'cmd': {
            'type': 'string',
            'minLength': 1,
            'maxLength': 4096,
            'x-hint': "cmd is a shell command, e.g. 'wget -q -O- "
                      "http://localhost/'",
        },
        'interval': _seconds(1, 'interval is a whole number of seconds, '
                                'at least 1'),
        'timeout': _seconds(1, 'timeout is a whole number of seconds, '
                               'at least 1'),
        'retries': {'type': 'integer', 'minimum': 1, 'maximum': 100,
                    'x-hint': 'retries is a whole number, at least 1'},
        'start_period': _seconds(0, 'start_period is a whole number of '
                                    'seconds, 0 or more'),
    },
}

# Used for spec.containers[] AND spec.initContainers[]. additionalProperties
# false is what keeps privileged, securityContext, capabilities, devices,
# host namespaces... out of a template.
CONTAINER = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['image'],
    'properties': {
        'name': NULLABLE_NAME,
        'image': IMAGE,
        'command': STRING_LIST,
        'args': STRING_LIST,
        'env': ENV,
        'workDir': {'type': ['string', 'null'],
                    'maxLength': bounds.PATH_SPELLING_MAX},
        'imagePullPolicy': {'enum': IMAGE_PULL_POLICIES},
        'stdin': BOOLEAN,
        'tty': BOOLEAN,
        'ports': {'type': 'array', 'items': PORT},
        'resources': RESOURCES,
        'volumeMounts': {'type': 'array', 'items': VOLUME_MOUNT},
        # On app containers only (validation refuses it on init ones).
        'healthcheck': HEALTHCHECK,
    },
}

CINDER = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'volumeID': {
            'type': 'string',
            'minLength': 36,
            'maxLength': 36,
            'x-hint': 'volumeID is the 36-character UUID of a Cinder volume',
        },
        'size': {
            'type': 'integer',
            'minimum': 1,
            'x-hint': 'size is a whole number of GiB, at least 1',
        },
        # Only meaningful for a volume created from ``size``; on a volumeID
        # volume it is accepted and ignored (Zun never deletes a volume it
        # did not create).
        'autoRemove': BOOLEAN,
    },
}

VOLUME = {
    'type': 'object',
    'required': ['name', 'cinder'],
    'properties': {
        'name': NAME,
        'cinder': CINDER,
        # Never a host path, not even next to 'cinder'.
        'hostPath': FORBIDDEN,
    },
    # Zun accepts and ignores other keys on a volume item; so do we.
    'additionalProperties': True,
}

SPEC = {
    'type': 'object',
    'required': ['containers'],
    'properties': {
        'containers': {
            'type': 'array',
            'minItems': 1,
            'items': CONTAINER,
        },
        'initContainers': {
            'type': 'array',
            'items': CONTAINER,
        },
        'restartPolicy': {'enum': list(names.RESTART_POLICIES)},
        'volumes': {
            'type': ['array', 'null'],
            'items': VOLUME,
        },
        # Engine extension, Kubernetes' name: seconds between the stop
        # signal and SIGKILL when the capsule is deleted. The engine's
        # [runtime] max_termination_grace_period bounds it further (a 400
        # naming this field; see heat_capsule.engine.runtime.stopping).
        'terminationGracePeriodSeconds': {
            'type': 'integer',
            'minimum': 0,
            'maximum': 86400,
            'x-hint': 'terminationGracePeriodSeconds is a whole number of '
                      'seconds, 0 (kill at once) or more',
        },
        # Kubernetes pod-level host access: refused by name rather than
        # ignored, so nobody believes they got it.
        'hostNetwork': FORBIDDEN,
        'hostPID': FORBIDDEN,
        'hostIPC': FORBIDDEN,
        'securityContext': FORBIDDEN,
    },
    # Zun accepts and ignores any other spec key; so do we.
    'additionalProperties': True,
}

TEMPLATE = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['kind', 'metadata', 'spec'],
    'properties': {
        'kind': {'enum': ['capsule', 'Capsule']},
        'capsuleVersion': {'enum': ['beta', 'Beta']},
        'metadata': METADATA,
        # Deprecated in favour of spec.restartPolicy; accepted.
        'restartPolicy': {'enum': list(names.RESTART_POLICIES)},
        'availabilityZone': {
            'type': ['string', 'null'],
            'minLength': 1,
            'maxLength': 255,
        },
        'spec': SPEC,
    },
    'x-hint': 'the template must be an object (or a JSON string holding '
              'an object)',
}

CREATE = {
    '$schema': 'http://json-schema.org/draft-07/schema#',
    'type': 'object',
    'additionalProperties': False,
    'required': ['template'],
    'properties': {
        'template': TEMPLATE,
    },
}
