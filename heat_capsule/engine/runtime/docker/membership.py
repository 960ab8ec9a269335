"""Which containers belong in a capsule's sandbox, from inspect data.

Pure rules on ``docker inspect`` answers. A container joins its sandbox's
namespaces when it starts (``NetworkMode: container:<sandbox id>``); a
sandbox that restarted (a daemon restart, say) has new namespaces, so a
container that ran in its earlier run is no longer in the capsule's
network until it starts again. The driver recreates or restarts those
(``DockerDriver.start_container``), and the engine starts again after a
daemon restart the app containers whose restart policy Docker would have
applied (:func:`rejoins`).
"""

from heat_capsule.engine.runtime.docker import state as docker_state
from heat_capsule.engine.runtime import spec


def fresh(docker_id):
    """The part of inspect's answer that is known of a container just made.

    It saves an inspect between create and start; the caller inspects
    after the start.
    """
    return {'Id': docker_id, 'State': {'Status': 'created',
                                       'StartedAt': docker_state.NEVER}}


def never_started(info):
    return (info['State'].get('StartedAt')
            or docker_state.NEVER).startswith('0001-')


def joined_current_sandbox(info, sandbox):
    """True when a started container shares the sandbox's live namespaces.

    It must name the sandbox and have started after the sandbox last did;
    one started before joined namespaces that died with the old process.
    """
    if info['HostConfig'].get('NetworkMode') != 'container:%s' % sandbox['Id']:
        return False
    started = docker_state.parse_time(info['State'].get('StartedAt'))
    sandbox_started = docker_state.parse_time(
        sandbox['State'].get('StartedAt'))
    return started is None or sandbox_started is None or (
        started >= sandbox_started)


def rejoins(info, sandbox):
    """True for an exited app container to start again in `sandbox`.

    It names this very sandbox but last ran in an earlier run of it (both
    were stopped, by a daemon restart for instance), and its restart policy
    restarts a container that exited with its exit code.  A start joins the
    sandbox's current namespaces.
    """
    labels = info['Config'].get('Labels') or {}
    return (labels.get(spec.LABEL_ROLE) != spec.ROLE_INIT
            and info['State'].get('Status') == 'exited'
            and info['HostConfig'].get('NetworkMode') == (
                'container:%s' % sandbox['Id'])
            and not joined_current_sandbox(info, sandbox)
            and should_be_running(info))


def should_be_running(info):
    """Running, or exited in a way its restart policy would restart."""
    state = info['State']
    if state.get('Status') in ('running', 'restarting', 'paused'):
        return True
    policy = (info['HostConfig'].get('RestartPolicy') or {}).get('Name')
    # Docker's empty policy name means "no".
    return spec.restarts(policy or 'no', state.get('ExitCode', 0))
