"""``/v1/volumes``: the Docker volumes the engine made (engine extension).

Zun leaves a capsule's volumes to Cinder, where a tenant can list and
delete them; the engine makes Docker named volumes itself, so it offers
the same reach here. A volume belongs to the project of the capsule that
created it, like that capsule:

* ``GET /v1/volumes``: ``{"volumes": [...]}`` of the caller's project,
  oldest first, including kept ones (``autoRemove`` false) whose capsule
  is gone (``capsule_uuid`` null); ``all_projects=1`` (admins) lists every
  project's. No paging: the ``disk`` quota bounds how many a project has.
* ``GET /v1/volumes/{uuid}``: one volume.
* ``DELETE /v1/volumes/{uuid}``: 204, the row goes at once and the Docker
  volume with it; 409 ``container.conflict`` naming the capsule while one
  (live, or being deleted) uses it. If Docker does not answer, the Docker
  volume is removed by the reconciler's next resync (a labelled volume
  without a row is an orphan).

Another project's volume is a 404 ``container.volume-not-found`` (its
existence is never revealed); admins see and delete any, as with
capsules. Views: ``views.volume``.
"""

from oslo_log import log as logging
from oslo_utils import uuidutils

from heat_capsule.engine.db import api as db_api
from heat_capsule.engine import errors
from heat_capsule.engine.handlers import util
from heat_capsule.engine.runtime import spec as runtime_spec
from heat_capsule.engine.views import volume as volume_view

LOG = logging.getLogger(__name__)


def _not_found(ident):
    return errors.VolumeNotFound('Volume %s could not be found.' % ident)


def _scope(req):
    """The project whose volumes the caller sees (None: every project)."""
    ctx = req.context
    return None if ctx.is_admin else ctx.project_id


def _lookup(req, ident):
    if not uuidutils.is_uuid_like(ident):
        raise _not_found(ident)
    found = req.services.db.get_volume(ident, _scope(req))
    if found is None:
        raise _not_found(ident)
    return found


def list_volumes(req):
    util.enforce(req, 'volume:get_all')
    project_id = req.context.project_id
    if util.bool_param(req, 'all_projects'):
        util.enforce(req, 'volume:get_all_all_projects')
        project_id = None
    rows = req.services.db.list_volumes(project_id)
    return util.json_response(200, volume_view.volume_list(rows))


def show_volume(req):
    found = _lookup(req, req.urlvars['volume_uuid'])
    util.enforce(req, 'volume:get', found.project_id)
    return util.json_response(200, volume_view.volume(found))


def delete_volume(req):
    found = _lookup(req, req.urlvars['volume_uuid'])
    util.enforce(req, 'volume:delete', found.project_id)
    try:
        req.services.db.delete_volume(found.uuid, found.project_id)
    except db_api.VolumeNotFound:
        raise _not_found(found.uuid)
    except db_api.VolumeInUse as exc:
        raise errors.Conflict(
            'Volume %s is in use by capsule %s; delete the capsule first.'
            % (exc.volume_uuid, exc.capsule_uuid))
    try:
        req.services.docker().remove_volume(found.uuid)
    except runtime_spec.CapsuleRuntimeError as exc:
        # DockerUnavailable included: the reconciler's orphan collection
        # removes the Docker volume at its next resync.
        LOG.warning('Volume %s deleted; its Docker volume is left to the '
                    'next resync: %s', found.uuid, exc)
    return util.empty_response(204)
