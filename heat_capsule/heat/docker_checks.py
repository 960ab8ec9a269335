"""What Docker refuses in one OS::Zun::Capsule container, before Heat asks.

The rules are ``heat_capsule.bounds``, shared with the bundled engine's
validation, so ``stack create`` refuses at validation what the engine would
refuse with a 400 (and Docker with an Error). Pure: no Heat import, so the
resource's ``validate()`` only turns each problem into its own exception.
"""

from heat_capsule import bounds
from heat_capsule.heat import template as tmpl
from heat_capsule import textutils

# Longest value quoted in a message.
_SHOWN = 60


def _quoted(value, problem):
    return '"%s" %s.' % (textutils.shorten(value, _SHOWN), problem)


def container_problems(path, container, unresolved):
    """(property path, message) for each Docker refusal in ``container``.

    :param path: the container's path, e.g. ``['containers', 0]``.
    :param container: its properties (Heat's resolved values).
    :param unresolved: ``unresolved(path)`` is true for a value that is
        still an intrinsic function (unknown at validation: not judged).
    """
    def known(p, value):
        return isinstance(value, str) and not unresolved(p)

    image = container.get(tmpl.IMAGE)
    if known(path + [tmpl.IMAGE], image):
        problem = bounds.image_problem(image)
        if problem:
            yield path + [tmpl.IMAGE], _quoted(image, problem)

    mounts = container.get(tmpl.VOLUME_MOUNTS) or []
    paths = []
    for index, mount in enumerate(mounts):
        m_path = path + [tmpl.VOLUME_MOUNTS, index, tmpl.MOUNT_PATH]
        value = mount.get(tmpl.MOUNT_PATH)
        paths.append(value if known(m_path, value) else None)
        problem = paths[-1] and bounds.mount_path_problem(value)
        if problem:
            yield m_path, _quoted(value, problem)
    for index, first in bounds.duplicate_paths(paths):
        yield (path + [tmpl.VOLUME_MOUNTS, index, tmpl.MOUNT_PATH],
               _quoted(paths[index],
                       'is the same path as volume_mounts[%d] once '
                       'normalised (%s)' % (first,
                                            bounds.clean_path(paths[index]))))
    read_only = [(p, m.get(tmpl.MOUNT_READ_ONLY))
                 for p, m in zip(paths, mounts)]
    for index, parent in bounds.inside_read_only(read_only):
        yield (path + [tmpl.VOLUME_MOUNTS, index, tmpl.MOUNT_PATH],
               _quoted(paths[index],
                       'is inside volume_mounts[%d] (%s), which is '
                       'read-only: Docker cannot create the mount point '
                       'there' % (parent, bounds.clean_path(paths[parent]))))

    workdir = container.get(tmpl.WORKDIR)
    if workdir and known(path + [tmpl.WORKDIR], workdir):
        problem = bounds.workdir_problem(workdir)
        if problem:
            yield path + [tmpl.WORKDIR], _quoted(workdir, problem)

    arguments = []
    for key in (tmpl.COMMAND, tmpl.ARGS):
        for index, item in enumerate(container.get(key) or []):
            if known(path + [key, index], item):
                arguments.append(item)
                problem = bounds.argument_problem(item)
                if problem:
                    yield path + [key, index], _quoted(item, problem)
    # Values as the template will carry them (tmpl.build_container).
    env = {str(k): '' if v is None else str(v)
           for k, v in (container.get(tmpl.ENVIRONMENT) or {}).items()
           if not isinstance(v, (dict, list))}
    for name, value in env.items():
        problem = bounds.env_problem(name, value)
        if problem:
            yield path + [tmpl.ENVIRONMENT, name], problem + '.'
    problem = bounds.exec_size_problem(arguments, env)
    if problem:
        yield path, problem + '.'
