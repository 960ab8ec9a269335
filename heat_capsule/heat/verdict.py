"""When OS::Zun::Capsule is complete, still waiting, or failed.

``judge()`` reads one capsule as the container service shows it and says
what the resource does: wait, complete, or fail with a reason naming each
container at fault. It is pure (no Heat, no zunclient, no clock of its own):
the resource supplies the readings and the time, and adds the containers'
last log lines to a failure.

The rule (the resource's description states it for users):

* ``Creating``/``Created``: wait.
* Each app container, whatever the capsule's status:

  - running, never restarted (``restart_count`` not above ``baseline``),
    for at least ``stable_seconds`` of its current run (the service's
    ``uptime``; a service without it, such as Zun, is timed by Heat from
    the first reading that showed it running): **done**; running for less:
    **wait** (``Verdict.retry_in`` says how long);
  - exited with code 0, not restarted, under ``Never`` or ``OnFailure``
    (which leave it stopped): **done**, a job that finished (not with
    ``created_when: healthy`` if it has a healthcheck: it never became
    healthy);
  - restarted by its policy, or being restarted (``Restarting``), exited
    with any other code (code 0 under ``Always`` too: Docker restarts it),
    killed (OOM), dead, paused, removed or never started: **fail**.

  With ``created_when: healthy`` a container with a healthcheck must also
  report ``healthy``: ``unhealthy`` fails with the check's output, anything
  else waits.
* ``Error`` or ``Deleting``, or a status this module does not know: **fail**,
  with the containers' faults, else the service's status_reason.

Complete when every app container is done. ``stack check`` uses the same
rule with the restart counts of its first reading as ``baseline`` (old
restarts of a long-running service do not fail a check; new ones do).
"""

import dataclasses
import re

from heat_capsule import names
from heat_capsule.heat import template as tmpl

OUTCOMES = (WAIT, COMPLETE, FAIL) = ('wait', 'complete', 'fail')

IN_PROGRESS = names.IN_PROGRESS_STATUSES
# Restart policies that leave a container stopped after exit code 0.
LEAVES_CLEAN_EXIT = (names.NEVER, names.ON_FAILURE)
HEALTHY, UNHEALTHY = 'healthy', 'unhealthy'

# docker ps's STATUS text (Zun's status_detail): "Exited (1) 3 seconds ago".
_EXIT_IN_DETAIL = re.compile(r'^(?:Exited|Restarting) \((-?\d+)\)')


@dataclasses.dataclass(frozen=True)
class Verdict:
    outcome: str                  # WAIT, COMPLETE or FAIL
    reason: str = ''              # why it fails, or what it waits for
    retry_in: float | None = None  # WAIT: seconds until stability may hold
    failing: tuple = ()           # names of the containers at fault


def exit_code(container):
    """The container's latest exit code: the service's ``exit_code``, else
    read from Zun's ``status_detail`` ("Exited (1) ..."); None if unknown."""
    code = container.get('exit_code')
    if code is not None:
        return code
    match = _EXIT_IN_DETAIL.match(container.get('status_detail') or '')
    return int(match.group(1)) if match else None


def _exit_words(container, code):
    if container.get('oom_killed'):
        memory = container.get('memory')
        return 'was killed for exceeding its memory limit%s (exit code %s)' \
            % (' of %s MiB' % memory if memory else '', code)
    if code is None:
        return 'stopped'
    return 'exited with code %s' % code


def _judge_container(container, restart_policy, healthy_wanted, baseline,
                     age, stable_seconds):
    """(outcome, fault or waiting text, seconds to wait) for one container.
    """
    name = container.get('name')
    status = container.get('status')
    code = exit_code(container)
    restarts = (container.get('restart_count') or 0) - (baseline or 0)
    restarted = ''
    if restarts > 0:
        restarted = ' and was restarted %d time%s by its restart policy ' \
            '(%s)' % (restarts, '' if restarts == 1 else 's', restart_policy)
    fault = None
    if status == names.RESTARTING:
        fault = '%s and is being restarted by its restart policy (%s)' % (
            _exit_words(container, code), restart_policy)
        if restarts > 0:
            fault += ', %d restart%s so far' % (
                restarts, '' if restarts == 1 else 's')
    elif status == names.RUNNING:
        if restarts > 0:
            fault = '%s%s' % (_exit_words(container, code), restarted)
    elif status in (names.STOPPED, names.DEAD):
        if (status == names.STOPPED and code == 0 and not restarts
                and restart_policy in LEAVES_CLEAN_EXIT
                and not healthy_wanted):
            return COMPLETE, None, None
        fault = _exit_words(container, code) + restarted
        if status == names.DEAD:
            fault = 'is dead (%s)' % fault
        elif code == 0 and healthy_wanted:
            fault += ' before its healthcheck reported healthy'
        elif not restarts and (restart_policy == names.ALWAYS or (
                restart_policy == names.ON_FAILURE and code != 0)):
            fault += ' (restart policy %s restarts it)' % restart_policy
    elif status in IN_PROGRESS:
        return WAIT, '%s is %s' % (name, status), None
    else:
        fault = 'is %s%s' % (status, ': %s' % container['status_reason']
                             if container.get('status_reason') else '')
    if fault:
        return FAIL, 'container %s %s' % (name, fault), None
    # Running, not restarted.
    if healthy_wanted:
        check = container.get('healthcheck') or {}
        if check.get('status') == UNHEALTHY:
            return FAIL, 'container %s is unhealthy: %s' % (
                name, check.get('output') or 'no output'), None
        if check.get('status') != HEALTHY:
            return WAIT, '%s (%s%s)' % (
                name, check.get('status') or 'not running',
                ': %s' % check['output'] if check.get('output') else ''), \
                None
    if (age or 0.0) < stable_seconds:
        left = stable_seconds - (age or 0.0)
        return WAIT, '%s running for %.1f s of %.1f s' % (
            name, age or 0.0, stable_seconds), left
    return COMPLETE, None, None


def judge(capsule, restart_policy=names.DEFAULT_RESTART_POLICY,
          healthchecked=(), stable_seconds=1.0, baseline=None, ages=None):
    """The verdict on one reading of a capsule.

    :param capsule: the capsule as the service shows it (a dict).
    :param restart_policy: Always, OnFailure or Never (the resource's).
    :param healthchecked: names of app containers whose healthcheck must
        report healthy (``created_when: healthy``); empty for "started".
    :param stable_seconds: how long a container must have been running in
        its current run.
    :param baseline: {container name: restart count} not to count as
        restarts (None: none may have restarted).
    :param ages: {container name: seconds Heat has seen it running}, used
        for a container whose reading has no ``uptime``.
    :returns: a Verdict.
    """
    status = capsule.get('status')
    if status in IN_PROGRESS:
        return Verdict(WAIT, 'still %s' % status)
    reason = capsule.get('status_reason') or 'no reason given'
    if status == names.DELETING:
        return Verdict(FAIL, 'the capsule is being deleted: %s' % reason)
    faults, waiting, failing, retry = [], [], [], []
    for container in capsule.get('containers') or []:
        name = container.get('name')
        if status == names.ERROR and container.get('status') == names.ERROR:
            continue    # never started: the capsule's reason says why
        age = container.get('uptime')
        if age is None:
            age = (ages or {}).get(name)
        outcome, text, left = _judge_container(
            container, restart_policy, name in healthchecked,
            (baseline or {}).get(name), age, stable_seconds)
        if outcome == FAIL:
            faults.append(text)
            failing.append(name)
        elif outcome == WAIT:
            waiting.append(text)
            if left is not None:
                retry.append(left)
    if faults:
        return Verdict(FAIL, '; '.join(faults), failing=tuple(failing))
    if status == names.ERROR:
        return Verdict(FAIL, reason)
    if status not in (names.RUNNING, names.STOPPED):
        return Verdict(FAIL, 'status %s: %s' % (status, reason))
    if waiting:
        return Verdict(WAIT, 'not ready yet: %s' % ', '.join(waiting),
                       retry_in=max(retry) if len(retry) == len(waiting)
                       else None)
    return Verdict(COMPLETE)


def restart_counts(capsule):
    """{app container name: restart count} of one reading (a baseline)."""
    return {c.get('name'): c.get('restart_count') or 0
            for c in capsule.get('containers') or []}


def exit_codes(capsule):
    """{container name: latest exit code or None}, init containers too."""
    return {c.get('name'): exit_code(c)
            for c in ((capsule.get('init_containers') or [])
                      + (capsule.get('containers') or []))}


def running_ages(seen, capsule, now):
    """{app container name: seconds Heat has seen it running}: the fallback
    clock of :func:`judge` for a service whose containers carry no
    ``uptime`` (Zun).

    :param seen: {name: (restart count, ``now`` first seen running)},
        kept by the caller between readings and updated here: a container
        not running, or restarted since, starts again from ``now``.
    :param now: a monotonic time, in seconds.
    """
    for container in capsule.get('containers') or []:
        name, count = container.get('name'), container.get('restart_count')
        if container.get('status') != names.RUNNING:
            seen.pop(name, None)
        elif seen.get(name, (None,))[0] != count or name not in seen:
            seen[name] = (count, now)
    return {name: now - since for name, (_count, since) in seen.items()}


def healthchecked(properties, capsule):
    """The app containers ``created_when: healthy`` waits for.

    :param properties: the resource properties; a container counts when
        the template gives it a healthcheck (by position: a real Zun
        renames the containers).
    :param capsule: the service's view of the capsule.
    :returns: (set of their names, the name of one the service does not
        report a healthcheck for while the capsule is Running, else None):
        a service that does not report the checks it was given (a real Zun
        has none in capsules) would never say healthy, which must fail.
        The engine shows the checks from the create on; they are judged
        once the capsule runs.
    """
    asked = set()
    for key, name, declared, container in tmpl.relate_containers(
            properties, capsule):
        if key != tmpl.CONTAINERS or not (declared or {}).get(
                tmpl.HEALTHCHECK):
            continue
        asked.add(name)
        if capsule.get('status') == names.RUNNING and \
                not container.get('healthcheck'):
            return asked, container.get('name')
    return asked, None
