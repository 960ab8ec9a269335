"""Pausing a capsule (engine extension): Docker's cgroup freezer.

``POST /v1/capsules/{id}/pause`` sets the capsule's desired state to
``paused`` (handlers/pause.py); the reconciler then freezes every app
container that runs (``docker pause``: the cgroup freezer stops every
process, memory stays allocated, no CPU is used) and, as long as the
desired state says paused, keeps doing nothing else: no restart policy, no
repair of the sandbox, no "exited" handling, since a frozen process neither
runs nor exits. Its status is ``Paused`` once every app container that was
running is frozen. ``unpause`` sets the desired state back to ``running``
and the reconciler thaws them; from then on a container frozen by hand
(``docker pause`` behind the engine's back) is thawed too, as the engine
owns the capsule's state.

The sandbox is **not** frozen: it only holds the capsule's namespaces
(a static ``/pause`` that sleeps in pause(2), so freezing it saves no
CPU), and a running sandbox keeps the capsule's address and its published
ports bound, so the capsule comes back exactly as it was. Init containers
have exited before a capsule can be Running, so there is nothing of them
to freeze.

The desired state lives in the database, so an engine restart finds a
paused capsule still paused (Docker keeps containers frozen while the
engine is away) and leaves it so; a container started behind its back
(``docker unpause``, say) is frozen again at the next sync.
"""

from heat_capsule.engine.runtime import spec
from heat_capsule import names

# Capsule.desired_state values (db.models).
DESIRED_RUNNING = 'running'
DESIRED_PAUSED = 'paused'
# Container statuses (Zun's) that a paused capsule may show: frozen, or
# stopped before the pause (a stopped container has nothing to freeze).
_AT_REST = frozenset((names.PAUSED, names.STOPPED, names.DEAD))


def _app_states(capsule, observed):
    return [(row, observed.get(row.uuid)) for row in capsule.containers
            if row.role == spec.ROLE_APP]


def freeze(driver, capsule, observed):
    """Pause every running app container of `capsule`.

    :param observed: ``driver.observe(capsule.uuid)``.
    :returns: whether anything was asked of Docker (observe again).
    :raises runtime.spec.DockerUnavailable: Docker did not answer.
    """
    changed = False
    for _row, state in _app_states(capsule, observed):
        if state is not None and state.status == names.RUNNING:
            driver.set_paused(capsule.uuid, state.docker_id, True)
            changed = True
    return changed


def thaw(driver, capsule, observed):
    """Unpause every frozen app container of `capsule`; whether any was."""
    changed = False
    for _row, state in _app_states(capsule, observed):
        if state is not None and state.status == names.PAUSED:
            driver.set_paused(capsule.uuid, state.docker_id, False)
            changed = True
    return changed


def paused_status(capsule, observed, base):
    """The status of a capsule whose desired state is paused.

    ``Paused`` when its sandbox runs and each app container is frozen (or
    had stopped before: its exit is then the reason); otherwise `base`,
    the status the capsule would have if running (``reconciler.
    derive_status``), e.g. Running while the freeze is under way or Error
    when a container was removed.
    """
    sandbox = observed.get(spec.ROLE_SANDBOX)
    states = _app_states(capsule, observed)
    if sandbox is None or sandbox.status != names.RUNNING or \
            any(state is None for _row, state in states):
        return base
    statuses = {state.status for _row, state in states}
    if names.PAUSED not in statuses or not statuses <= _AT_REST:
        return base
    stopped = ['%s exited with code %s' % (row.name, state.exit_code)
               for row, state in sorted(states, key=lambda s: s[0].name)
               if state.status != names.PAUSED]
    return names.PAUSED, '; '.join(stopped) or None
