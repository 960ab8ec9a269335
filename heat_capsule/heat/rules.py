"""The rules that span OS::Zun::Capsule properties, for ``validate()``.

Pure (no Heat import): :func:`problems` reads the resolved properties and
says what breaks a rule; the resource turns each problem into Heat's own
exception (``StackValidationFailed`` with the property path,
``ResourcePropertyConflict``, ``PropertyUnspecifiedError``). The rules:

* label, annotation and environment values are scalars;
* ``created_when: healthy`` needs a container with a healthcheck;
* the stack's timeout leaves room for ``termination_grace_period`` (a
  delete waits that long);
* size xor volume_id on every volume, unique volume names, a volume_id used
  once;
* container names unique across containers and init_containers;
* what Docker would refuse in a container (``docker_checks``, i.e.
  ``heat_capsule.bounds``, shared with the bundled engine);
* every volume mount names a declared volume, and every declared volume is
  mounted somewhere (Zun rejects unused volumes).

A value still given by an intrinsic function (``get_attr`` of a resource
not created yet resolves to None at validation) is unknown, not missing:
the caller's ``unresolved(path, leaf_only=False)`` says so, and a rule that
needs it is skipped.
"""

from heat_capsule.heat import docker_checks
from heat_capsule.heat import template as tmpl

# What a problem is: a message about one property path (INVALID), or two
# properties at odds (CONFLICT: both given; UNSPECIFIED: neither).
KINDS = (INVALID, CONFLICT, UNSPECIFIED) = (
    'invalid', 'conflict', 'unspecified')


def problems(properties, unresolved, room):
    """Yield ``(kind, path, detail)`` for each broken rule, in check order.

    :param properties: the resolved properties (a mapping by
        ``tmpl.PROPERTIES``).
    :param unresolved: ``unresolved(path, leaf_only=False)``.
    :param room: (stack timeout, seconds it leaves a delete), both in
        seconds.
    :returns: an iterator; INVALID: ``path`` is the property path and
        ``detail`` the message; CONFLICT and UNSPECIFIED: ``detail`` is the
        two property names ("volumes[0].size", ...).
    """
    for key in (tmpl.LABELS, tmpl.ANNOTATIONS):
        yield from _string_map([key], properties.get(key))
    yield from _created_when(properties, unresolved)
    yield from _grace_period(properties, room)
    declared = set()
    yield from _volumes(properties, unresolved, declared)
    mounted = set()
    complete = yield from _containers(properties, unresolved, declared,
                                      mounted)
    if not complete:
        return      # some mount is not resolved yet: cannot tell
    for index, volume in enumerate(properties.get(tmpl.VOLUMES) or []):
        if volume[tmpl.VOLUME_NAME] not in mounted:
            yield (INVALID, [tmpl.VOLUMES, index, tmpl.VOLUME_NAME],
                   'Volume "%s" is not mounted by any container.'
                   % volume[tmpl.VOLUME_NAME])


def _string_map(path, mapping):
    for key, value in (mapping or {}).items():
        if isinstance(value, (dict, list)):
            yield (INVALID, path + [key],
                   'The value must be a string, number or boolean, not a '
                   'list or a map.')


def _created_when(properties, unresolved):
    if properties.get(tmpl.CREATED_WHEN) != tmpl.CREATED_HEALTHY:
        return
    if not any(container.get(tmpl.HEALTHCHECK)
               or unresolved([tmpl.CONTAINERS, index, tmpl.HEALTHCHECK])
               for index, container in enumerate(
                   properties.get(tmpl.CONTAINERS) or [])):
        yield (INVALID, [tmpl.CREATED_WHEN],
               '"%s" needs at least one container with a healthcheck.'
               % tmpl.CREATED_HEALTHY)


def _grace_period(properties, room):
    grace = properties.get(tmpl.TERMINATION_GRACE_PERIOD)
    timeout, left = room
    if grace is not None and grace >= left:
        yield (INVALID, [tmpl.TERMINATION_GRACE_PERIOD],
               'A delete of this capsule may wait %(grace)d s for its '
               'containers to stop, which the stack\'s timeout of '
               '%(timeout)d s does not leave room for; use less than '
               '%(room)d s or a longer timeout.'
               % {'grace': grace, 'timeout': timeout, 'room': left})


def _volumes(properties, unresolved, declared):
    """The volume rules; fills ``declared`` with the volume names."""
    claimed = {}
    for index, volume in enumerate(properties.get(tmpl.VOLUMES) or []):
        path = [tmpl.VOLUMES, index]
        name = volume[tmpl.VOLUME_NAME]
        if name in declared:
            yield (INVALID, path + [tmpl.VOLUME_NAME],
                   'Volume name "%s" is declared more than once.' % name)
        declared.add(name)
        volume_id = volume.get(tmpl.VOLUME_ID)
        if volume_id and not unresolved(path + [tmpl.VOLUME_ID]):
            if volume_id in claimed:
                yield (INVALID, path + [tmpl.VOLUME_ID],
                       'Volume %(id)s is already used by %(other)s; a '
                       'volume can be attached once per capsule.'
                       % {'id': volume_id, 'other': claimed[volume_id]})
            claimed[volume_id] = '%s[%d]' % (tmpl.VOLUMES, index)
        given = [key for key in (tmpl.VOLUME_SIZE, tmpl.VOLUME_ID)
                 if volume.get(key) not in (None, '')
                 or unresolved(path + [key], leaf_only=True)]
        where = ['%s[%d].%s' % (tmpl.VOLUMES, index, key)
                 for key in (tmpl.VOLUME_SIZE, tmpl.VOLUME_ID)]
        if len(given) == 2:
            yield CONFLICT, path, where
        if not given and not any(
                unresolved(path + [key])
                for key in (tmpl.VOLUME_SIZE, tmpl.VOLUME_ID)):
            yield UNSPECIFIED, path, where


def _containers(properties, unresolved, declared, mounted):
    """Names, environments, Docker's bounds and mounts of all containers.

    Fills ``mounted`` with the mounted volume names; returns False when a
    mount's volume name is not resolved yet (then ``mounted`` is partial).
    """
    owners = {}
    complete = True
    for key in (tmpl.CONTAINERS, tmpl.INIT_CONTAINERS):
        for index, container in enumerate(properties.get(key) or []):
            path = [key, index]
            name = container.get(tmpl.CONTAINER_NAME)
            if name in owners:
                yield (INVALID, path + [tmpl.CONTAINER_NAME],
                       'Container name "%(name)s" is already used by '
                       '%(other)s; names must be unique across containers '
                       'and init_containers.'
                       % {'name': name, 'other': owners[name]})
            if name:
                owners[name] = '%s[%d]' % (key, index)
            yield from _string_map(path + [tmpl.ENVIRONMENT],
                                   container.get(tmpl.ENVIRONMENT))
            for where, message in docker_checks.container_problems(
                    path, container, unresolved):
                yield INVALID, where, message
            for m_index, mount in enumerate(
                    container.get(tmpl.VOLUME_MOUNTS) or []):
                m_path = path + [tmpl.VOLUME_MOUNTS, m_index,
                                 tmpl.MOUNT_VOLUME_NAME]
                volume = mount.get(tmpl.MOUNT_VOLUME_NAME)
                if unresolved(m_path):
                    complete = False
                elif volume not in declared:
                    yield (INVALID, m_path,
                           'Volume "%s" is not declared in the "volumes" '
                           'property.' % volume)
                mounted.add(volume)
    return complete
