"""Zun's names that both sides of heat-capsule use, declared once.

Pure standard library, like ``heat_capsule.bounds``: the Heat side
(``heat_capsule.heat``, inside heat-engine) and the bundled engine both
import it, so a status, a restart policy or a generated container name is
spelled in one place.

* Statuses: Zun's container status set, which Zun reuses for capsules
  (``zun/common/consts.py``), plus the two the engine gives a container of
  its own accord (``DEAD`` is Docker's, ``DELETED`` a container removed
  outside the engine).
* Restart policies: the template's spelling (``spec.restartPolicy``, Zun's
  schema) and Docker's (``HostConfig.RestartPolicy.Name``), with Zun's
  mapping between them (``capsules.py``: Always -> always, OnFailure ->
  on-failure, Never -> no).
* Default container names: :func:`container_names`.
"""

STATUSES = (
    CREATING, CREATED, RUNNING, STOPPED, ERROR, DELETING, UNKNOWN, PAUSED,
    RESTARTING,
) = (
    'Creating', 'Created', 'Running', 'Stopped', 'Error', 'Deleting',
    'Unknown', 'Paused', 'Restarting',
)
# Container statuses beyond the capsule set.
CONTAINER_ONLY_STATUSES = (DEAD, DELETED) = ('Dead', 'Deleted')
CONTAINER_STATUSES = STATUSES + CONTAINER_ONLY_STATUSES
# A create under way: a capsule or container in one of these is not yet
# anything else.
IN_PROGRESS_STATUSES = (CREATING, CREATED)

# spec.restartPolicy as a template spells it; Zun's default is Always.
RESTART_POLICIES = (ALWAYS, ON_FAILURE, NEVER) = (
    'Always', 'OnFailure', 'Never')
DEFAULT_RESTART_POLICY = ALWAYS
# Docker's restart policy names.
DOCKER_RESTART_POLICIES = (
    DOCKER_ALWAYS, DOCKER_UNLESS_STOPPED, DOCKER_ON_FAILURE, DOCKER_NO,
) = (
    'always', 'unless-stopped', 'on-failure', 'no',
)
# Template spelling -> Docker's (Zun's mapping).
TO_DOCKER_RESTART_POLICY = {
    ALWAYS: DOCKER_ALWAYS, ON_FAILURE: DOCKER_ON_FAILURE, NEVER: DOCKER_NO,
}
# Every spelling a policy arrives in, lower-cased (Docker's, and the
# template's: 'onfailure', 'never') -> Docker's.
DOCKER_RESTART_POLICY_OF = dict(
    {name: name for name in DOCKER_RESTART_POLICIES},
    **{name.lower(): docker for name, docker
       in TO_DOCKER_RESTART_POLICY.items()})

# Generated container names: "<prefix>-<1-based position in its list>".
CONTAINER_NAME_PREFIXES = (APP_NAME_PREFIX, INIT_NAME_PREFIX) = (
    'container', 'init-container')


def container_names(containers, init_containers, key='name'):
    """The effective names of a template's containers and init containers.

    :param containers: the app container mappings, in template order.
    :param init_containers: the init container mappings, in run order.
    :param key: the name's key in each mapping (``name`` in both the
        template and the Heat resource's properties).
    :returns: (app names, init names), lists in the same order.

    A container with a name keeps it. One without gets a stable name from
    its position, ``container-<n>`` or ``init-container-<n>`` (n counts from
    1 within its own list), followed by ``-2``, ``-3``... while that name is
    taken by another container, so the same template always gives the same
    names, on the Heat side (which sends them) and in the engine (for a
    template sent without them). Zun itself discards every given name and
    draws a random one (``capsule-<capsule>-<greek letter>-<1..24>``); the
    1-based count matches the one number Zun's names carry.
    """
    containers = list(containers or [])
    init_containers = list(init_containers or [])
    taken = {c.get(key) for c in containers + init_containers
             if c.get(key)}

    def assign(items, prefix):
        names = []
        for position, item in enumerate(items, start=1):
            name = item.get(key)
            if not name:
                candidate = name = '%s-%d' % (prefix, position)
                suffix = 1
                while name in taken:
                    suffix += 1
                    name = '%s-%d' % (candidate, suffix)
                taken.add(name)
            names.append(name)
        return names

    return (assign(containers, APP_NAME_PREFIX),
            assign(init_containers, INIT_NAME_PREFIX))
