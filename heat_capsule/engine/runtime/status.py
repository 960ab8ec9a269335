"""The engine's status rules: what a capsule and its containers are said to be.

Pure functions of what Docker recorded (``spec.ContainerState``) and of the
container rows; no Docker, no database. The reconciler records facts
(status, exit code, ``State.StartedAt``/``FinishedAt``, ``RestartCount``,
``OOMKilled``) only when they change; everything that moves with the clock
(``status_detail``, ``uptime``) is computed here when a capsule is read.

Capsule statuses (the README's table says what each means and what
OS::Zun::Capsule does with it):

* ``Creating``, ``Created``: the create is under way (set by the reconciler).
* ``Running``: every app container runs, or some run and the others exited
  in a way their restart policy leaves alone.
* ``Restarting``: an app container is being restarted by its policy.
* ``Paused``: an app container was paused (outside the engine).
* ``Stopped``: every app container exited with code 0.
* ``Error``: the create failed, an app container exited non-zero, died, or
  was removed, or the sandbox is gone or down.
* ``Deleting``: a delete is under way (set by the API).
"""

import datetime

from heat_capsule import names
from heat_capsule.engine.runtime import spec

# What the engine may say a capsule is: Zun's statuses (heat_capsule.names)
# but Unknown.
CAPSULE_STATUSES = tuple(s for s in names.STATUSES if s != names.UNKNOWN)

# Container statuses that are not Docker's: set by the engine itself.
CONTAINER_ERROR = names.ERROR      # never started: the capsule's create failed
CONTAINER_DELETED = names.DELETED  # removed outside the engine

# Docker's exit code for a process killed by SIGKILL (128 + 9): what the
# kernel's OOM killer leaves.
SIGKILL_EXIT = 137


def utcnow():
    """Naive UTC now, the form the database stores timestamps in."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def naive_utc(moment):
    """An aware datetime as naive UTC (the database's form); None stays."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)


# --- time as docker ps words it ---------------------------------------------

def human_duration(seconds):
    """Docker's wording of a duration ('3 seconds', 'About a minute', ...).

    The rules of Docker's ``units.HumanDuration`` (go-units), which
    ``docker ps`` uses for its STATUS column.
    """
    seconds = int(seconds)
    if seconds < 1:
        return 'Less than a second'
    if seconds == 1:
        return '1 second'
    if seconds < 60:
        return '%d seconds' % seconds
    minutes = seconds // 60
    if minutes == 1:
        return 'About a minute'
    if minutes < 60:
        return '%d minutes' % minutes
    hours = round(seconds / 3600.0)
    if hours == 1:
        return 'About an hour'
    if hours < 48:
        return '%d hours' % hours
    if hours < 24 * 7 * 2:
        return '%d days' % (hours // 24)
    if hours < 24 * 30 * 2:
        return '%d weeks' % (hours // (24 * 7))
    if hours < 24 * 365 * 2:
        return '%d months' % (hours // (24 * 30))
    return '%d years' % (hours // (24 * 365))


def _ago(moment, now):
    return human_duration(max(0.0, (now - moment).total_seconds()))


_HEALTH_SUFFIX = {'starting': ' (health: starting)', 'healthy': ' (healthy)',
                  'unhealthy': ' (unhealthy)'}


def status_detail(row, now):
    """``docker ps``'s STATUS text of a container row, as of ``now``.

    :param row: a container row (status, started_at, finished_at,
        exit_code, health_status, status_detail).
    :param now: naive UTC datetime.
    :returns: "Up 3 minutes (healthy)", "Exited (0) 5 minutes ago",
        "Restarting (1) 2 seconds ago", "Created", ...; the stored text
        when the row has no timestamps (rows written before they were
        recorded, or a container that never started).
    """
    status = row.status
    started, finished = row.started_at, row.finished_at
    if status in (names.RUNNING, names.PAUSED) and started is not None:
        text = 'Up %s' % _ago(started, now)
        if status == names.PAUSED:
            return text + ' (Paused)'
        return text + _HEALTH_SUFFIX.get(row.health_status, '')
    if status == names.RESTARTING and finished is not None:
        return 'Restarting (%s) %s ago' % (row.exit_code,
                                           _ago(finished, now))
    if status == names.STOPPED and finished is not None:
        return 'Exited (%s) %s ago' % (row.exit_code, _ago(finished, now))
    return row.status_detail


def uptime(row, now):
    """Seconds (float) the container has been running in its current run,
    as of ``now`` (naive UTC); None unless it is Running with a known
    start."""
    if row.status != names.RUNNING or row.started_at is None:
        return None
    return round(max(0.0, (now - row.started_at).total_seconds()), 3)


# --- why a container stopped -------------------------------------------------

def exit_text(subject, exit_code, oom_killed=False, memory=None):
    """'<subject> exited with code N', or the OOM kill said plainly.

    :param memory: the container's memory limit in MiB (None: no limit
        of its own).
    """
    if oom_killed:
        limit = ('its memory limit of %d MiB' % memory if memory
                 else 'the memory available to it')
        return '%s was killed for exceeding %s (exit code %s)' % (
            subject, limit, exit_code)
    return '%s exited with code %s' % (subject, exit_code)


def container_reason(name, state, memory=None):
    """A container's own status_reason from Docker's state: the OOM kill
    ("container app was killed for exceeding its memory limit of 16 MiB
    (exit code 137)"), else Docker's State.Error, else None."""
    if state.oom_killed:
        return exit_text('container %s' % name, state.exit_code, True, memory)
    return state.error or None


def restart_text(name, state, memory=None):
    """'Container app is restarting (restarted 3 times; it exited with
    code 1).'"""
    text = 'Container %s is restarting' % name
    details = []
    if state.restart_count:
        details.append('restarted %d time%s' % (
            state.restart_count, '' if state.restart_count == 1 else 's'))
    if state.exit_code is not None:
        details.append(exit_text('it', state.exit_code, state.oom_killed,
                                 memory))
    return text + (' (%s).' % '; '.join(details) if details else '.')


# --- the capsule ------------------------------------------------------------

def derive_status(capsule, rows, observed):
    """The capsule's (status, status_reason) from its app containers' and
    sandbox's states.

    :param rows: {container uuid: row} (role, name, memory).
    :param observed: {container uuid or 'sandbox': spec.ContainerState}.
    """
    sandbox = observed.get(spec.ROLE_SANDBOX)
    if sandbox is None:
        return (names.ERROR,
                'The capsule sandbox was removed outside the engine.')
    apps = [r for r in rows.values() if r.role == spec.ROLE_APP]
    states = {r.name: observed.get(r.uuid) for r in apps}
    memory = {r.name: getattr(r, 'memory', None) for r in apps}
    gone = sorted(name for name, state in states.items() if state is None)
    if gone:
        return names.ERROR, ('Container %s was removed outside the '
                             'engine.' % ', '.join(gone))
    if sandbox.status != names.RUNNING:
        return names.ERROR, 'The capsule sandbox is %s.' % sandbox.status
    statuses = {name: state.status for name, state in states.items()}
    values = set(statuses.values())
    if values == {names.RUNNING}:
        return names.RUNNING, _unhealthy_reason(states)
    if values <= {names.STOPPED, names.DEAD}:
        codes = ', '.join(exit_text(
            name, states[name].exit_code, states[name].oom_killed,
            memory[name]) for name in sorted(states))
        failed = any(states[n].exit_code not in (0, None)
                     or states[n].status == names.DEAD for n in states)
        return (names.ERROR if failed else names.STOPPED), codes
    dead = sorted(n for n, s in statuses.items() if s == names.DEAD)
    if dead:
        return names.ERROR, 'Container %s is dead.' % ', '.join(dead)
    if names.RESTARTING in values:
        return names.RESTARTING, ' '.join(
            restart_text(n, states[n], memory[n]) for n in sorted(states)
            if statuses[n] == names.RESTARTING)
    if names.PAUSED in values:
        return names.PAUSED, 'Container %s is paused.' % ', '.join(
            sorted(n for n, s in statuses.items() if s == names.PAUSED))
    if values <= {names.RUNNING, names.STOPPED}:
        # Some exited, the rest run: a finished job beside a service, or
        # an exit the restart policy leaves alone.
        return names.RUNNING, '; '.join(exit_text(
            n, states[n].exit_code, states[n].oom_killed, memory[n])
            for n in sorted(states) if statuses[n] == names.STOPPED)
    if names.CREATED in values:
        return names.CREATED, None
    return names.ERROR, 'Container %s is %s.' % next(
        (n, s) for n, s in sorted(statuses.items())
        if s not in (names.RUNNING, names.STOPPED))


def _unhealthy_reason(states):
    """Why a running capsule is not well, from its failing healthchecks.

    The capsule stays Running (as a Kubernetes pod does while a readiness
    probe fails); the reason names each unhealthy container and what its
    check printed.
    """
    failing = ['Container %s is unhealthy: %s'
               % (name, state.health_output or 'no output')
               for name, state in sorted(states.items())
               if state.health == 'unhealthy']
    return '; '.join(failing) or None


def failed_create_values(state, reason):
    """What a container row shows once its capsule's create failed.

    A container Docker never made, or made but never started, shows
    ``Error`` with Docker's reason for the refused start (its State.Error)
    or, when there is none, the first clause of the capsule's ``reason``.
    One Docker holds in another state is recorded as Docker shows it
    (None is returned). Either way it no longer shows ``Creating``.
    """
    if state is not None and state.status != names.CREATED:
        return None
    if state is not None and state.error:
        return {'status': CONTAINER_ERROR, 'status_detail': None,
                'exit_code': state.exit_code, 'status_reason': state.error}
    first = reason.split('\n', 1)[0].split(';', 1)[0].rstrip('.:')
    return {'status': CONTAINER_ERROR, 'status_detail': None,
            'status_reason': 'Not started: %s.' % first}


# --- what the reconciler records and restarts --------------------------

# A capsule whose create is under way.
CREATE_IN_PROGRESS = names.IN_PROGRESS_STATUSES


def container_values(state, row):
    """The columns of container ``row`` (or spec) Docker's ``state`` sets.

    What only inspect tells (timestamps, restart count, OOM kill) is left
    out for a state read from Docker's container list, and an exit code
    only comes with an exit: the recorded values are kept.
    """
    values = {'status': state.status, 'status_detail': state.status_detail,
              'exit_code': state.exit_code,
              'status_reason': container_reason(row.name, state, row.memory),
              'health_status': state.health,
              'health_output': state.health_output}
    if state.exit_code is None:
        del values['exit_code']     # the latest exit's code is kept
    if state.restart_count is not None:
        values.update(started_at=state.started_at,
                      finished_at=state.finished_at,
                      restart_count=state.restart_count,
                      oom_killed=state.oom_killed)
    return values


def changed(row, values):
    """Whether an observation says something new about a container.

    status_detail ("Up 5 seconds") changes with the clock alone; it is
    refreshed along with real changes, never written for its own sake, so
    a quiet capsule costs no database write per sync.
    """
    return any(getattr(row, key) != value for key, value in values.items()
               if key != 'status_detail')


def restart_wanted(restart_policy, state):
    """Whether an app container that has stopped must be started again.

    The capsule's restart policy applied to the exit code Docker recorded,
    as if the container had exited on its own: Always -> yes; OnFailure ->
    after a non-zero exit only; Never -> no.  A container that is not
    stopped (running, restarting, created, dead, missing) is not concerned.
    """
    if state is None or state.status != names.STOPPED:
        return False
    return spec.restarts(restart_policy, state.exit_code)


def needs_start(state):
    """Missing, or created but never started (a crash between the two)."""
    return state is None or state.status == names.CREATED


def create_finished(capsule):
    """Whether every app container was started (else the create failed:
    those left show Error, see Reconciler._fail)."""
    return not any(c.role == spec.ROLE_APP and c.status in (
        names.CREATING, CONTAINER_ERROR) for c in capsule.containers)
