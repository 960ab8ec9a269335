"""Engine extension: ``POST /v1/capsules/{uuid or name}/pause|unpause``.

Two action URLs, like Zun's (and Docker's) container pause and unpause,
rather than one ``action`` body: each is one idempotent-looking verb a
client can call without a body, and python-zunclient's session can post
to it as it is.

* ``pause``: a **Running** capsule's desired state becomes ``paused``; the
  reconciler freezes its app containers (runtime/freezer.py) and the
  capsule shows ``Paused``. 202 with the capsule (still ``Running`` until
  the freeze is recorded, usually within a second). Any other status, or
  a pause already asked for, is a 409 (Zun's ``invalid-state-exception``).
* ``unpause``: a capsule that is **Paused** (or being paused) goes back to
  ``running``; the reconciler thaws its containers and derives its status
  again. 409 otherwise.

Policy: ``capsule:pause`` / ``capsule:unpause``, the owner or an admin,
like delete; an admin reaches another project's capsule by uuid.
"""

from heat_capsule.engine import errors
from heat_capsule.engine.handlers import capsule as capsule_handlers
from heat_capsule.engine.handlers import util
from heat_capsule.engine.runtime import freezer
from heat_capsule.engine.views import capsule as capsule_view
from heat_capsule import names

# What may be paused, and what an unpause accepts under desired 'paused'
# (whatever Docker made of it meanwhile, Error included, is thawed).
PAUSABLE_STATUSES = (names.RUNNING,)
UNPAUSABLE_STATUSES = (names.PAUSED, names.RUNNING, names.ERROR,
                       names.STOPPED, names.RESTARTING, names.UNKNOWN)


def _act(req, rule, desired, if_desired, if_statuses, refusal):
    capsule = capsule_handlers.lookup(req, req.urlvars['ident'])
    util.enforce(req, rule, capsule.project_id)
    if not req.services.db.change_desired_state(
            capsule.uuid, desired, if_desired, if_statuses):
        current = req.services.db.get_capsule(capsule.uuid) or capsule
        raise errors.InvalidState(refusal(current))
    req.services.runtime.submit(capsule.uuid)
    current = req.services.db.get_capsule(capsule.uuid) or capsule
    return util.json_response(
        202, capsule_view.capsule(current, req.host_url_for_links,
                                  req.version))


def pause_capsule(req):
    def refusal(capsule):
        if capsule.desired_state == freezer.DESIRED_PAUSED:
            return 'Capsule %s is paused or being paused already.' % (
                capsule.uuid)
        return ('Capsule %s is %s; only a Running capsule can be paused.'
                % (capsule.uuid, capsule.status))
    return _act(req, 'capsule:pause', freezer.DESIRED_PAUSED,
                freezer.DESIRED_RUNNING, PAUSABLE_STATUSES, refusal)


def unpause_capsule(req):
    def refusal(capsule):
        return ('Capsule %s is %s; only a Paused capsule can be unpaused.'
                % (capsule.uuid, capsule.status))
    return _act(req, 'capsule:unpause', freezer.DESIRED_RUNNING,
                freezer.DESIRED_PAUSED, UNPAUSABLE_STATUSES, refusal)
