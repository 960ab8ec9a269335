"""Reaching the container service from OS::Zun::Capsule: calls and polls.

The resource's requests go through :class:`ServiceCallsMixin`: a request
that starts an action (create, delete, pause...) fails at once when the
service is unreachable; a poll that waits on one tolerates an unreachable
service for ``[clients_zun_capsule] unreachable_timeout`` (the client
plugin's ``is_unreachable``/``unreachable_error``, in ``client``), and any
wait fails with its own reason ``TIMEOUT_MARGIN`` seconds before the
stack's timeout, where Heat would only say "Timed out". The class
docstring of the resource ("Timeouts") states it for users.
"""

import time

from heat.common import exception
from heat.common.i18n import _
from oslo_log import log as logging

from heat_capsule import names
from heat_capsule.heat import features

LOG = logging.getLogger(__name__)


class ServiceCallsMixin:
    """Requests of a resource with ``client()``, ``client_plugin()`` and a
    ``stack`` (the Heat resource)."""

    # A wait still going on this many seconds before the stack's timeout
    # fails with its own reason; Heat would only say "Timed out".
    TIMEOUT_MARGIN = 5

    _unreachable_since = None   # monotonic time of the first failed poll

    # Heat makes a create's first check right after handle_create, then
    # one every 1 s (heat/engine/scheduler.py, TaskRunner.__call__: the
    # first step sleeps 0, later ones wait_time=1; measured in
    # docs/benchmarks.md section 10, bench/heat_floor.py). A capsule is
    # still Creating at that first check and often Running a fraction of a
    # second later, so the first check reads it again every
    # FIRST_CHECK_POLL seconds for up to FIRST_CHECK_WAIT (Heat's step)
    # while it is in progress, instead of leaving it to Heat's next check.
    FIRST_CHECK_WAIT = 1.0
    FIRST_CHECK_POLL = 0.05

    def _start(self, call, *args, **kwargs):
        """Make a request that starts an action; unreachable fails at once."""
        try:
            result = call(*args, **kwargs)
        except Exception as exc:
            plugin = self.client_plugin()
            if plugin.is_unreachable(exc):
                raise plugin.unreachable_error(exc) from exc
            raise features.shorten_error(exc)
        self._unreachable_since = None
        return result

    def _poll(self, capsule_id):
        """GET the capsule a create or delete waits on.

        Return it as a dict, or None while the service is unreachable and
        may still be waited for; EntityNotFound if the service has no such
        capsule (zunclient's None), zunclient's NotFound as it comes.
        """
        try:
            capsule = self.client().capsules.get(capsule_id)
        except Exception as exc:
            plugin = self.client_plugin()
            if not plugin.is_unreachable(exc):
                raise
            now = time.monotonic()
            first = self._unreachable_since is None
            if first:
                self._unreachable_since = now
            waited = now - self._unreachable_since
            if (waited >= plugin.unreachable_timeout()
                    or self._out_of_time()):
                raise plugin.unreachable_error(exc, waited) from exc
            (LOG.warning if first else LOG.debug)(
                '%(rsrc)s: container service unreachable for %(s)d s, '
                'polling again: %(error)s',
                {'rsrc': self, 's': waited, 'error': exc})
            return None
        self._unreachable_since = None
        if capsule is None:
            raise exception.EntityNotFound(entity='Capsule', name=capsule_id)
        return capsule.to_dict()

    def _poll_in_progress(self, capsule_id, seconds):
        """``_poll`` the capsule; while it is Creating or Created, read it
        again every FIRST_CHECK_POLL s, until ``seconds`` after the first
        request (at most ``seconds / FIRST_CHECK_POLL`` more readings).

        :returns: the last reading, as ``_poll`` gives it; a reading that
            finds the service unreachable (None) ends the wait at once.
        """
        deadline = time.monotonic() + seconds
        capsule = self._poll(capsule_id)
        for _more in range(int(round(seconds / self.FIRST_CHECK_POLL))):
            if (capsule is None
                    or capsule.get('status') not in names.IN_PROGRESS_STATUSES
                    or time.monotonic() >= deadline):
                break
            time.sleep(self.FIRST_CHECK_POLL)
            capsule = self._poll(capsule_id)
        return capsule

    def _out_of_time(self):
        """Whether the stack's timeout is less than TIMEOUT_MARGIN away."""
        if not (self.stack.updated_time or self.stack.created_time):
            return False   # a stack never stored has no clock
        return self.stack.time_remaining() <= self.TIMEOUT_MARGIN

    def _fail_if_out_of_time(self, capsule):
        if self._out_of_time():
            raise exception.Error(
                _('Capsule "%(name)s" is still %(status)s %(elapsed)d s '
                  'into the stack\'s %(timeout)d s timeout: %(reason)s')
                % {'name': self.name, 'status': capsule.get('status'),
                   'elapsed': self.stack.time_elapsed(),
                   'timeout': self.stack.timeout_secs(),
                   'reason': features.shorten(capsule.get('status_reason')
                                              or _('no reason given'))})
