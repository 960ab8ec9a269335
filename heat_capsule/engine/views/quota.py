"""Quotas as Zun shows them.

A plain quota set is ``{"containers": 40, "memory": 51200, "cpu": 20,
"disk": 100}`` (limits; -1 unlimited). With ``usages=true`` each resource
is ``{"limit": ..., "in_use": ...}``; ``in_use`` is an int, or a float
rounded to 3 decimals for fractional CPUs.
"""

from heat_capsule.engine import quota


def limits(values):
    return {resource: values[resource] for resource in quota.RESOURCES}


def usages(limit_values, usage):
    return {resource: {'limit': limit_values[resource],
                       'in_use': quota.show(usage[resource])}
            for resource in quota.RESOURCES}
