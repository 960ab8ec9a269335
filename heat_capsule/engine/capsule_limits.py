"""Per-capsule bounds checked when a capsule is created (ports).

A template may declare ports on every container and init container, and
the engine publishes each distinct one on the capsule's sandbox, each
through its own ``docker-proxy`` process (about 3 MiB of memory, and
seconds of create and delete time per hundred). Nothing in Zun's schema
bounds them: a 1 MiB body holds about 45,000. ``[limits]
max_ports_per_capsule`` (default 32) caps the number of ``ports`` items a
template declares, over containers then initContainers in template order.

This runs after ``validation.validate_create_body`` (the template is in
normal form), so the API answers 400 in Zun's schema-validation envelope,
naming the first port item over the limit.
"""

from heat_capsule.engine import validation

_GROUPS = ('containers', 'initContainers')


def port_paths(template):
    """Field paths of every ``ports`` item, containers first, in order."""
    spec = template['spec']
    for group in _GROUPS:
        for i, container in enumerate(spec.get(group) or ()):
            for j, _port in enumerate(container.get('ports') or ()):
                yield 'template.spec.%s[%d].ports[%d]' % (group, i, j)


def check_ports(template, max_ports):
    """Refuse a template that declares more than `max_ports` ports.

    :param template: a validated template in normal form.
    :param max_ports: the most ``ports`` items allowed (>= 0).
    :raises validation.InvalidInput: naming the first item over the limit,
        e.g. ``template.spec.containers[0].ports[32]``.
    """
    paths = list(port_paths(template))
    if len(paths) > max_ports:
        raise validation.InvalidInput(
            paths[max_ports],
            'a capsule may declare at most %d ports (this one declares %d '
            'over its containers and init containers)'
            % (max_ports, len(paths)))
