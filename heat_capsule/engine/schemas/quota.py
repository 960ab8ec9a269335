"""Bodies of ``PUT /v1/quotas/{project_id}`` and
``PUT /v1/quota_classes/{name}`` (Zun's schema, plus an upper bound).

Each key is a quota resource; a value is a whole number, as a JSON integer
or a string of digits (the ``openstack appcontainer quota update`` CLI sends
strings), from -1 (unlimited) to MAX_LIMIT. Unknown keys are refused.
``parse_update`` enforces it; ``UPDATE`` describes it (OpenAPI, fuzzing).
"""

import re

from heat_capsule.engine import quota

MAX_LIMIT = 2 ** 31 - 1
MAX_NAME = 255
_WHOLE = re.compile(r'-?[0-9]{1,19}\Z')

LIMIT = {
    'type': ['integer', 'string'],
    'pattern': r'^-?[0-9]+$',
    'minimum': quota.UNLIMITED,
    'maximum': MAX_LIMIT,
    'x-hint': 'a whole number, -1 for unlimited',
}

UPDATE = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {resource: dict(LIMIT, description='%s%s' % (
        resource, quota.UNITS[resource])) for resource in quota.RESOURCES},
}


class InvalidLimit(Exception):
    """A bad body, naming the field (str: the message for a 400)."""

    def __init__(self, field, problem):
        super().__init__("Invalid input for field '%s': %s" % (field,
                                                               problem))


def _whole(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _WHOLE.match(value):
        return int(value)
    return None


def parse_update(body):
    """{resource: int} from a PUT body; InvalidLimit for anything else."""
    if not isinstance(body, dict):
        raise InvalidLimit('body', 'must be an object of quota resources '
                           '(%s)' % ', '.join(quota.RESOURCES))
    limits = {}
    for key, value in body.items():
        if key not in quota.RESOURCES:
            raise InvalidLimit(str(key)[:60], 'unknown quota resource; use '
                               'one of %s' % ', '.join(quota.RESOURCES))
        number = _whole(value)
        if number is None:
            raise InvalidLimit(key, '%s is not %s' % (
                repr(value)[:60], LIMIT['x-hint']))
        if not quota.UNLIMITED <= number <= MAX_LIMIT:
            raise InvalidLimit(key, '%d is out of range (-1 to %d)'
                               % (number, MAX_LIMIT))
        limits[key] = number
    return limits
