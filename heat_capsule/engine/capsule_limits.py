"""Per-capsule bounds checked when a capsule is created (ports).

A template may declare ports on every container and init container, and
the engine publishes each distinct one on the capsule's sandbox, each
through its own ``docker-proxy`` process (about 3 MiB of memory, and
seconds of create and delete time per hundred). Nothing in Zun's schema
bounds them: a 1 MiB body holds about 20,000. ``[limits]
max_ports_per_capsule`` (default 32) caps the number of ``ports`` items a
template declares, over containers then initContainers in template order.

The check runs on the decoded body **before** the schema validation
(``validation.validate_create_body``), so a flood of ports is refused in
microseconds instead of costing a second of schema validation per request
(measured: 2.9 s for 45,000 ports) while the API's other requests wait.
It reads the body defensively: whatever is not shaped like a template
(not an object, ``ports`` not a list, a template string that is not JSON)
is left for the schema validation to report. The API answers 400 in Zun's
schema-validation envelope, naming the first port item over the limit.
"""

import json

from heat_capsule.engine import validation

_GROUPS = ('containers', 'initContainers')


def _template(body):
    """The body's template as a dict, or None when it is not one."""
    template = body.get('template') if isinstance(body, dict) else None
    if isinstance(template, str):
        try:
            template = json.loads(template)
        except (ValueError, RecursionError):
            return None
    return template if isinstance(template, dict) else None


def port_counts(body):
    """(path of a container's ``ports``, how many items) for each container
    that has a list of ports, containers first, in template order."""
    template = _template(body)
    spec = template.get('spec') if template is not None else None
    if not isinstance(spec, dict):
        return
    for group in _GROUPS:
        containers = spec.get(group)
        if not isinstance(containers, list):
            continue
        for i, container in enumerate(containers):
            ports = (container.get('ports') if isinstance(container, dict)
                     else None)
            if isinstance(ports, list) and ports:
                yield 'template.spec.%s[%d].ports' % (group, i), len(ports)


def check_ports(body, max_ports):
    """Refuse a create body whose template declares over `max_ports` ports.

    :param body: the decoded ``POST /v1/capsules`` body, before validation
        (a template given as a JSON string is read too).
    :param max_ports: the most ``ports`` items allowed (>= 0).
    :raises validation.InvalidInput: naming the first item over the limit,
        e.g. ``template.spec.containers[0].ports[32]``.
    """
    counts = list(port_counts(body))
    total = sum(count for _path, count in counts)
    if total <= max_ports:
        return
    seen = 0
    for path, count in counts:
        if seen + count > max_ports:
            raise validation.InvalidInput(
                '%s[%d]' % (path, max_ports - seen),
                'a capsule may declare at most %d ports (this one declares '
                '%d over its containers and init containers)'
                % (max_ports, total))
        seen += count
