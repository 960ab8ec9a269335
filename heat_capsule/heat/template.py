"""Names and the pure mapping from OS::Zun::Capsule properties to a template.

``build_template()`` turns the resource's snake_case properties (a mapping in
which unset values are ``None``, the way Heat's ``Properties`` presents them)
into the camelCase capsule template that ``POST /v1/capsules`` takes as
``{"template": ...}``. It has no side effects and imports neither Heat nor
zunclient, so every field can be tested on its own.

Property                                 Template key
---------------------------------------  ------------------------------------
name / labels / annotations              metadata.name / .labels / .annotations
                                         (label and annotation values as
                                         strings)
availability_zone                        availabilityZone
restart_policy                           spec.restartPolicy
termination_grace_period                 spec.terminationGracePeriodSeconds
                                         (an engine extension)
containers / init_containers             spec.containers / spec.initContainers
  name, image, command, args             name, image, command, args
  environment, workdir                   env, workDir
  ports[].container_port, .protocol,     ports[].containerPort, .protocol,
  .host_port                             .hostPort
  cpu, memory                            resources.requests.cpu, .memory
  volume_mounts[].name, .mount_path,     volumeMounts[].name, .mountPath,
  .read_only                             .readOnly
  tty, stdin, image_pull_policy          tty, stdin, imagePullPolicy
  healthcheck.cmd, .interval, .timeout,  healthcheck (same keys: an engine
  .retries, .start_period                extension, app containers only)
volumes[].name                           spec.volumes[].name
volumes[].size, .volume_id, .auto_remove spec.volumes[].cinder.size, .volumeID,
                                         .autoRemove
"""

import re

from heat_capsule import names

# The client plugin name, as declared under ``heat.clients`` in setup.cfg.
# Distinct from Heat's own ``zun`` plugin, which stops at microversion 1.36.
CLIENT_NAME = 'zun_capsule'

# Pinned Zun API microversion. 1.32+ gives the current capsule view (name,
# labels, async delete), 1.34 init containers, 1.35 ports, 1.37 tty/stdin,
# 1.38 annotations; 1.40 is the maximum of Zun 18, of python-zunclient 5.5 and
# of the bundled engine.
MICROVERSION = '1.40'

# Capsule actions of the heat-capsule engine (POST /capsules/{id}/<action>),
# behind stack suspend and resume; Zun has none for capsules.
CAPSULE_ACTIONS = (PAUSE, UNPAUSE) = ('pause', 'unpause')

PROPERTIES = (
    NAME, LABELS, ANNOTATIONS, RESTART_POLICY, AVAILABILITY_ZONE,
    CONTAINERS, INIT_CONTAINERS, VOLUMES, CREATED_WHEN,
    TERMINATION_GRACE_PERIOD,
) = (
    'name', 'labels', 'annotations', 'restart_policy', 'availability_zone',
    'containers', 'init_containers', 'volumes', 'created_when',
    'termination_grace_period',
)

CONTAINER_KEYS = (
    CONTAINER_NAME, IMAGE, COMMAND, ARGS, ENVIRONMENT, WORKDIR, PORTS,
    CPU, MEMORY, VOLUME_MOUNTS, TTY, STDIN, IMAGE_PULL_POLICY, HEALTHCHECK,
) = (
    'name', 'image', 'command', 'args', 'environment', 'workdir', 'ports',
    'cpu', 'memory', 'volume_mounts', 'tty', 'stdin', 'image_pull_policy',
    'healthcheck',
)

HEALTHCHECK_KEYS = (
    HEALTH_CMD, HEALTH_INTERVAL, HEALTH_TIMEOUT, HEALTH_RETRIES,
    HEALTH_START_PERIOD,
) = (
    'cmd', 'interval', 'timeout', 'retries', 'start_period',
)

# What "CREATE_COMPLETE" waits for: every app container started (the
# capsule is Running), or in addition every healthcheck passing.
CREATED_WHEN_VALUES = (CREATED_STARTED, CREATED_HEALTHY) = (
    'started', 'healthy')
# Health as the engine reports it in a container's healthcheck.status.
HEALTH_STATUSES = (HEALTH_STARTING, HEALTHY, UNHEALTHY) = (
    'starting', 'healthy', 'unhealthy')

PORT_KEYS = (CONTAINER_PORT, PROTOCOL, HOST_PORT) = (
    'container_port', 'protocol', 'host_port')

VOLUME_MOUNT_KEYS = (
    MOUNT_VOLUME_NAME, MOUNT_PATH, MOUNT_READ_ONLY,
) = (
    'name', 'mount_path', 'read_only',
)

VOLUME_KEYS = (
    VOLUME_NAME, VOLUME_SIZE, VOLUME_ID, VOLUME_AUTO_REMOVE,
) = (
    'name', 'size', 'volume_id', 'auto_remove',
)

PROTOCOLS = ('TCP', 'UDP')
IMAGE_PULL_POLICIES = ('Always', 'IfNotPresent', 'Never')

# Zun's pattern for capsule, container and volume names (2-255 characters).
NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.-]+$'
NAME_MAX_LENGTH = 255


def _given(value):
    """True for a value the user set: not None, not an empty list/map."""
    return value is not None and value != [] and value != {}


def _as_strings(mapping):
    """Map values as strings: Zun keeps env and labels as strings.

    Annotations too: Zun stores any JSON there, the bundled engine takes
    only strings, so a template sends strings to work on both.
    """
    return {str(k): ('' if v is None else str(v)) for k, v in mapping.items()}


def _put(target, key, value):
    if _given(value):
        target[key] = value


def relate_containers(properties, capsule):
    """Pair the template's containers with the service's, by position.

    A real Zun renames every capsule container (``capsule-<capsule
    name>-<greek letter>-<n>``, the template's name is dropped) but keeps
    template order, init containers and app containers each in their own
    list; the bundled engine keeps the names. So the n-th container of a
    list is the n-th of the template, whatever its name; names serve only
    for display.

    :param properties: the resource properties (``CONTAINERS`` and
        ``INIT_CONTAINERS``).
    :param capsule: the capsule view, a dict with ``init_containers`` and
        ``containers`` lists.
    :returns: ``[(key, template name, template container or None, service
        container)]``, init containers first (``key`` is
        ``INIT_CONTAINERS`` or ``CONTAINERS``). A service container beyond
        the template's count keeps its own name and has no template
        container.
    """
    items = {CONTAINERS: properties.get(CONTAINERS) or [],
             INIT_CONTAINERS: properties.get(INIT_CONTAINERS) or []}
    given = dict(zip((CONTAINERS, INIT_CONTAINERS),
                     names.container_names(items[CONTAINERS],
                                           items[INIT_CONTAINERS])))
    related = []
    for key in (INIT_CONTAINERS, CONTAINERS):
        for index, found in enumerate(capsule.get(key) or []):
            if index < len(items[key]):
                related.append((key, given[key][index], items[key][index],
                                found))
            else:
                related.append((key, found.get('name'), None, found))
    return related


def template_named(properties, capsule):
    """``capsule`` (a view dict) with each container's ``name`` its template
    name (:func:`relate_containers`), so reasons, the health gate and the
    stability clock speak of the names the template author wrote."""
    renamed = {CONTAINERS: [], INIT_CONTAINERS: []}
    for key, name, _declared, found in relate_containers(properties,
                                                         capsule):
        renamed[key].append(dict(found, name=name))
    return dict(capsule, containers=renamed[CONTAINERS],
                init_containers=renamed[INIT_CONTAINERS])


def build_container(container, name):
    """Map one container (or init container) onto its template entry."""
    entry = {'name': name, 'image': container[IMAGE]}
    _put(entry, 'command', list(container.get(COMMAND) or []))
    _put(entry, 'args', list(container.get(ARGS) or []))
    _put(entry, 'env', _as_strings(container.get(ENVIRONMENT) or {}))
    _put(entry, 'workDir', container.get(WORKDIR))
    _put(entry, 'ports', [
        dict({'containerPort': port[CONTAINER_PORT],
              'protocol': port.get(PROTOCOL) or PROTOCOLS[0]},
             **({'hostPort': port[HOST_PORT]} if port.get(HOST_PORT)
                else {}))
        for port in container.get(PORTS) or []])
    requests = {}
    _put(requests, 'cpu', container.get(CPU))
    _put(requests, 'memory', container.get(MEMORY))
    _put(entry, 'resources', {'requests': requests} if requests else None)
    _put(entry, 'volumeMounts', [
        dict({'name': mount[MOUNT_VOLUME_NAME],
              'mountPath': mount[MOUNT_PATH]},
             **({} if mount.get(MOUNT_READ_ONLY) is None
                else {'readOnly': bool(mount[MOUNT_READ_ONLY])}))
        for mount in container.get(VOLUME_MOUNTS) or []])
    for key, template_key in ((TTY, 'tty'), (STDIN, 'stdin')):
        if container.get(key) is not None:
            entry[template_key] = bool(container[key])
    _put(entry, 'imagePullPolicy', container.get(IMAGE_PULL_POLICY))
    check = {key: value for key, value in
             (container.get(HEALTHCHECK) or {}).items() if value is not None}
    _put(entry, 'healthcheck', check)
    return entry


def build_volume(volume):
    """Map one volume onto its template entry (a Cinder-style volume)."""
    cinder = {}
    _put(cinder, 'size', volume.get(VOLUME_SIZE))
    _put(cinder, 'volumeID', volume.get(VOLUME_ID))
    if volume.get(VOLUME_AUTO_REMOVE) is not None:
        cinder['autoRemove'] = bool(volume[VOLUME_AUTO_REMOVE])
    return {'name': volume[VOLUME_NAME], 'cinder': cinder}


def build_template(properties, default_name=None):
    """Return the capsule template for the given resource properties.

    :param properties: a mapping keyed by ``PROPERTIES``; missing keys and
        ``None`` values mean "not set" and are left out of the template.
    :param default_name: ``metadata.name`` to use when ``name`` is not set.
    """
    containers = properties.get(CONTAINERS) or []
    init_containers = properties.get(INIT_CONTAINERS) or []
    app_names, init_names = names.container_names(containers,
                                                  init_containers)

    metadata = {}
    _put(metadata, 'name', properties.get(NAME) or default_name)
    _put(metadata, 'labels', _as_strings(properties.get(LABELS) or {}))
    _put(metadata, 'annotations',
         _as_strings(properties.get(ANNOTATIONS) or {}))

    spec = {'containers': [build_container(c, n)
                           for c, n in zip(containers, app_names)]}
    _put(spec, 'restartPolicy', properties.get(RESTART_POLICY))
    _put(spec, 'terminationGracePeriodSeconds',
         properties.get(TERMINATION_GRACE_PERIOD))
    _put(spec, 'initContainers', [build_container(c, n)
                                  for c, n in zip(init_containers,
                                                  init_names)])
    _put(spec, 'volumes', [build_volume(v)
                           for v in properties.get(VOLUMES) or []])

    template = {'kind': 'capsule', 'metadata': metadata, 'spec': spec}
    _put(template, 'availabilityZone', properties.get(AVAILABILITY_ZONE))
    return template


def safe_name(name, limit=NAME_MAX_LENGTH):
    """Turn any string into a valid capsule name (``NAME_PATTERN``).

    Used for the default capsule name derived from the stack and resource
    names, which may contain characters Zun rejects. Returns None when
    nothing usable is left.
    """
    if not name:
        return None
    name = re.sub('[^a-zA-Z0-9_.-]', '-', name)
    name = name.lstrip('_.-')[:limit]
    return name if len(name) >= 2 else None
