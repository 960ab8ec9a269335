"""Stack suspend and resume for OS::Zun::Capsule: pause and unpause.

``openstack stack suspend`` freezes the capsule's app containers through
the heat-capsule engine's pause extension (``POST /capsules/{id}/pause``;
the engine uses Docker's cgroup freezer, so the workloads stop using CPU
and keep their memory and state) and waits until the capsule is
``Paused``; ``resume`` unpauses it and waits until it is ``Running``
again. Zun has no such call for capsules: against a real Zun the
suspend fails with the reason (client.ActionUnsupported) instead of
marking the resource suspended while its containers keep running.

Kept apart from capsule.py as a mixin; like it, this module does not
import zunclient (the client plugin makes the calls).
"""

from heat.common import exception
from heat.common.i18n import _

from heat_capsule import names
from heat_capsule.heat import template as tmpl

# What a capsule may show while each action is under way, and when done.
_WAITING = {tmpl.PAUSE: (names.RUNNING,),
            tmpl.UNPAUSE: (names.PAUSED, names.RESTARTING)}
_DONE = {tmpl.PAUSE: names.PAUSED, tmpl.UNPAUSE: names.RUNNING}


class SuspendResumeMixin:
    """handle_suspend/resume and their checks, for capsule.Capsule.

    Uses the resource's ``_start``, ``_poll`` and ``_fail_if_out_of_time``
    (the same unreachable-service and timeout rules as create and delete).
    """

    def handle_suspend(self):
        return self._capsule_action(tmpl.PAUSE)

    def check_suspend_complete(self, token):
        return self._action_complete(token, tmpl.PAUSE)

    def handle_resume(self):
        return self._capsule_action(tmpl.UNPAUSE)

    def check_resume_complete(self, token):
        return self._action_complete(token, tmpl.UNPAUSE)

    def _capsule_action(self, action):
        """Ask for the action; the token is the capsule id (None: none).

        A 409 is fine when the capsule already is where the action leads
        (suspending a Paused capsule, resuming a Running one, e.g. after
        an earlier attempt failed half-way).
        """
        if self.resource_id is None:
            return None
        plugin = self.client_plugin()
        try:
            self._start(plugin.capsule_action, self.resource_id, action)
        except Exception as exc:
            if not plugin.is_conflict(exc):
                raise
            capsule = self._poll(self.resource_id)
            if capsule is None or capsule.get('status') != _DONE[action]:
                raise exception.Error(
                    _('Capsule "%(name)s" cannot %(action)s: %(error)s')
                    % {'name': self.name, 'action': action,
                       'error': exc}) from exc
        return self.resource_id

    def _action_complete(self, capsule_id, action):
        if capsule_id is None:
            return True
        capsule = self._poll(capsule_id)
        if capsule is None:
            return False
        status = capsule.get('status')
        if status == _DONE[action]:
            return True
        if status in _WAITING[action]:
            self._fail_if_out_of_time(capsule)
            return False
        raise exception.ResourceInError(
            resource_status=status,
            status_reason=_('Capsule "%(name)s" did not become %(done)s '
                            '(%(action)s): it is %(status)s: %(reason)s')
            % {'name': self.name, 'done': _DONE[action], 'action': action,
               'status': status,
               'reason': capsule.get('status_reason')
               or _('no reason given')})
