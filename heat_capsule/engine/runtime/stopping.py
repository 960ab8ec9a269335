"""Graceful delete: stop signal, grace period, SIGKILL, then removal.

Kubernetes' pod termination, done by the engine on Docker.  Deleting a
capsule runs, in the reconciler's sync of that capsule (:class:`Stopper`):

1. Every init or app container still running gets its **stop signal**, all
   of them at once: the container's ``StopSignal`` (Docker copies the
   image's ``STOPSIGNAL`` there), else SIGTERM.  Docker takes a container's
   own stop signal as fatal and suspends its restart policy, so a container
   that exits now is not restarted behind the engine's back.  A container
   that runs no program (exited, in Docker's restart back-off, never
   started) is removed at once, before Docker's restart policy can start
   it again.
2. Once the signals are out, the capsule's ``stop_deadline`` (now + the
   grace period) is written to its row, and the sync returns: it does not
   hold a worker thread.  Docker's ``die`` events bring the capsule back as
   its containers exit, and a delayed resync at the deadline.
3. When nothing runs any more, or at the deadline, what still runs gets
   SIGKILL (all at once), and every container is removed, the init and app
   containers first and the **sandbox last** (DockerDriver.remove_capsule);
   then the auto-remove volumes and the rows.

Grace period
    ``spec.terminationGracePeriodSeconds`` of the template (Kubernetes' name;
    an engine extension; 0 allowed), else ``[runtime]
    default_termination_grace_period`` (10 s: Docker's own ``docker stop``
    default; a program that handles SIGTERM has time to flush its state,
    while deleting a capsule whose PID 1 ignores SIGTERM, a shell or
    ``sleep``, costs 10 s and not Kubernetes' 30 s).  A template asking for
    more than ``[runtime] max_termination_grace_period`` (300 s) is a 400.
    The effective value is stored with the capsule when it is created
    (Kubernetes defaults the pod spec the same way) and also becomes each
    container's Docker ``StopTimeout``, so a dockerd shutdown or restart
    waits for it too.  0 skips the signal: the containers are killed at
    once, as Zun does.

Crash safety
    The deadline lives in the database, so an engine killed during the
    grace period finishes the delete after its restart: it waits what is
    left of the grace period, or kills at once if it is over.  A second
    DELETE changes nothing (Database.mark_for_deletion).  The deadline is
    written after the signals are sent: an engine killed between the two
    sends them again after its restart, with a new deadline (a program may
    then see its stop signal twice; it is never left without one).
"""

import datetime

from oslo_log import log as logging

from heat_capsule.engine.db import models
from heat_capsule.engine.runtime import spec
from heat_capsule.engine import validation
from heat_capsule import names

LOG = logging.getLogger(__name__)

FIELD = 'terminationGracePeriodSeconds'
# Container statuses with a program that a stop signal can reach.
_LIVE = (names.RUNNING, names.PAUSED)


def requested_grace_period(conf, template):
    """The grace period a validated template gets, in whole seconds.

    ``spec.terminationGracePeriodSeconds``, else ``[runtime]
    default_termination_grace_period`` (itself capped by the maximum).

    :raises validation.InvalidInput: the template asks for more than
        ``[runtime] max_termination_grace_period``.
    """
    limit = conf.runtime.max_termination_grace_period
    value = template['spec'].get(FIELD)
    if value is None:
        return min(conf.runtime.default_termination_grace_period, limit)
    if value > limit:
        raise validation.InvalidInput(
            'template.spec.%s' % FIELD,
            '%d is greater than the maximum of %d this service allows '
            '(seconds a deleted capsule may keep running)' % (value, limit))
    return int(value)      # JSON's 5.0 is a whole number too


def grace_period(conf, stored):
    """The grace period of a capsule's delete, from its stored value.

    None (a capsule created before the engine had grace periods) is the
    configured default; any value is capped by the current maximum.
    """
    if stored is None:
        stored = conf.runtime.default_termination_grace_period
    return max(0, min(stored, conf.runtime.max_termination_grace_period))


class Stopper:
    """Runs the stop sequence for the reconciler, one step per sync.

    :param conf: the engine configuration (``[runtime]`` grace options).
    :param db: the engine Database.
    :param driver: the DockerDriver.
    :param executor: a concurrent.futures executor; the stop signals of a
        capsule's containers are sent through it side by side.
    """

    def __init__(self, conf, db, driver, executor):
        self.conf = conf
        self.db = db
        self.driver = driver
        self.executor = executor

    def step(self, capsule):
        """Advance the delete of `capsule`; seconds left to wait, or 0.

        0 means every container may be removed now: none is running, the
        grace period is over, or it is 0.  Otherwise the caller syncs the
        capsule again after the returned number of seconds (or sooner, on a
        Docker event).
        """
        # Inspected, not only listed: Docker 20.10 sends a container's
        # 'die' event before its list shows the exit, and that event is
        # what brings the capsule back here.
        observed = self.driver.observe(capsule.uuid, inspect_all=True)
        live = []
        for key, state in sorted(observed.items()):
            if key == spec.ROLE_SANDBOX:
                continue
            if state.status in _LIVE:
                live.append(state)
            else:
                # Nothing to stop (exited, in Docker's restart back-off, or
                # never started), and Docker's restart policy could start
                # it again at any moment: removed at once.
                self.driver.remove_container(state.docker_id)
        if not live:
            return 0
        if capsule.stop_deadline is not None:
            left = (capsule.stop_deadline - models.utcnow()).total_seconds()
            if left <= 0:
                LOG.info('Capsule %s: the grace period is over; killing '
                         '%d container(s)', capsule.uuid, len(live))
                self._each(self.driver.kill_container, live)
                return 0
            return left
        grace = grace_period(self.conf, capsule.termination_grace_period)
        if grace == 0:
            return 0
        # A paused container (issue 19) needs no thaw first: Docker 20.10
        # unpauses a container it signals (its 'unpause' event follows the
        # 'kill'), so the program acts on the signal.
        signals = self._each(self.driver.send_stop_signal, live)
        if not any(signals.values()):
            return 0      # all exited meanwhile
        # From the last signal sent: each program gets the whole period.
        deadline = models.utcnow() + datetime.timedelta(seconds=grace)
        names = _names(capsule, signals)
        reason = ('Stopping: sent %s; containers still running at %s UTC '
                  '(grace period %d s) will be killed.'
                  % (names, deadline.strftime('%H:%M:%S'), grace))
        self.db.update_capsule(capsule.uuid, stop_deadline=deadline,
                               status_reason=reason)
        LOG.info('Capsule %s: %s', capsule.uuid, reason)
        return grace

    def _each(self, call, states):
        """{container uuid: call(docker id)} for every state, side by side
        (signals, and the kills at the deadline, reach them together)."""
        if len(states) == 1:
            return {states[0].container_uuid: call(states[0].docker_id)}
        pending = {state.container_uuid: self.executor.submit(
            call, state.docker_id) for state in states}
        return {uuid: future.result() for uuid, future in pending.items()}


def _names(capsule, signals):
    """'SIGTERM to web, SIGINT to db' from {container uuid: signal}."""
    by_uuid = {c.uuid: c.name for c in capsule.containers}
    grouped = {}
    for uuid, signal in signals.items():
        if signal:
            grouped.setdefault(signal, []).append(by_uuid.get(uuid, uuid))
    return ', '.join('%s to %s' % (signal, ', '.join(sorted(names)))
                     for signal, names in sorted(grouped.items()))
