"""Quotas as Zun shows them.

A plain quota set is ``{"containers": 40, "memory": 51200, "cpu": 20,
"disk": 100}`` (limits; -1 unlimited). With ``usages=true`` each resource
is ``{"limit": ..., "in_use": ...}``; ``in_use`` is an int, or a float
rounded to 3 decimals for fractional CPUs. ``LIMITS_SCHEMA`` and
``USAGES_SCHEMA`` describe them, for the OpenAPI document.
"""

from heat_capsule.engine import quota

LIMITS_SCHEMA = {
    'additionalProperties': False,
    'type': 'object',
    'description': 'Limits by resource; -1 is unlimited.',
    'properties': {resource: {'type': 'integer', 'description': '%s%s' % (
        resource, quota.UNITS[resource])} for resource in quota.RESOURCES},
}
USAGES_SCHEMA = {
    'additionalProperties': False,
    'type': 'object',
    'description': 'With usages=true: each resource with its limit and '
                   'what the project uses.',
    'properties': {resource: {
        'type': 'object', 'properties': {
            'limit': {'type': 'integer'}, 'in_use': {'type': 'number'}}}
        for resource in quota.RESOURCES},
}


def limits(values):
    return {resource: values[resource] for resource in quota.RESOURCES}


def usages(limit_values, usage):
    return {resource: {'limit': limit_values[resource],
                       'in_use': quota.show(usage[resource])}
            for resource in quota.RESOURCES}
