"""``/v1/capsules``: create, list, show, delete (and the volumes extension).

Each handler checks policy, validates, makes one call to the database or the
runtime and serialises through ``views.capsule``.
"""

import urllib.parse

from oslo_utils import uuidutils

from heat_capsule.engine import capsule_limits
from heat_capsule.engine.db import api as db_api
from heat_capsule.engine.db import host_ports as db_host_ports
from heat_capsule.engine import errors
from heat_capsule.engine.handlers import quota as quota_handlers
from heat_capsule.engine.handlers import util
from heat_capsule.engine import quota
from heat_capsule.engine import records
from heat_capsule.engine.runtime import stopping
from heat_capsule.engine import validation
from heat_capsule.engine.views import capsule as capsule_view
from heat_capsule.engine.views import volume as volume_view


def _not_found(ident):
    return errors.CapsuleNotFound('Capsule %s could not be found.' % ident)


def _lookup(req, ident, all_projects=False):
    """The capsule named by a uuid or a name, as the caller may see it.

    Admins see every project's capsules here (as in Zun); everyone else
    only their own project's, so another project's capsule is a 404.
    """
    ctx = req.context
    project_id = None if (ctx.is_admin or all_projects) else ctx.project_id
    found = req.services.db.find_capsules(
        ident, project_id, by_uuid=uuidutils.is_uuid_like(ident))
    if not found:
        raise _not_found(ident)
    if len(found) > 1:
        raise errors.Conflict(
            'Multiple capsules are named %s; use the capsule uuid instead.'
            % ident)
    return found[0]


lookup = _lookup    # for the handlers of other capsule paths (pause.py)


def create_capsule(req):
    util.enforce(req, 'capsule:create')
    body = util.read_json_body(req)
    try:
        capsule_limits.check_ports(
            body, req.services.conf.limits.max_ports_per_capsule)
        template = validation.validate_create_body(
            body, host_cpus=req.services.host and req.services.host.cpus())
        grace = stopping.requested_grace_period(req.services.conf, template)
    except validation.InvalidInput as exc:
        raise errors.SchemaValidationError(str(exc))
    capsule, new_volumes, attach, attach_paths = records.build(
        template, req.context, quota.default_requests(req.services.conf))
    capsule.termination_grace_period = grace
    # Imported here: the endpoint module builds on this one.
    from heat_capsule.engine.handlers import endpoint
    endpoint.check_host_ports(capsule, req.services.conf)
    try:
        req.services.db.create_capsule(
            capsule, new_volumes, attach,
            admission=quota_handlers.admission(req, capsule, new_volumes))
    except db_host_ports.HostPortInUse as exc:
        raise endpoint.conflict(exc, req.context)
    except db_api.VolumeNotFound as exc:
        message = ("Invalid input for field '%s': volume %s does not exist"
                   % (attach_paths[exc.volume_uuid], exc.volume_uuid))
        raise errors.SchemaValidationError(message)
    except db_api.VolumeInUse as exc:
        raise errors.Conflict(
            "Volume %s named by '%s' is in use by capsule %s."
            % (exc.volume_uuid, attach_paths[exc.volume_uuid],
               exc.capsule_uuid))
    req.services.runtime.submit(capsule.uuid)
    host = req.host_url_for_links
    return util.json_response(
        202, capsule_view.capsule(capsule, host, req.version),
        headers=[('Location', '%s/v1/capsules/%s' % (host, capsule.uuid))])


def _list_params(req):
    conf = req.services.conf.api
    limit = req.GET.get('limit')
    if limit is None:
        limit = conf.max_limit
    else:
        try:
            limit = int(limit)
        except ValueError:
            limit = 0
        if limit <= 0:
            raise errors.InvalidParameterValue(
                'Limit must be positive integer')
        limit = min(limit, conf.max_limit)
    sort_key = req.GET.get('sort_key', 'id')
    if sort_key not in db_api.SORT_KEYS:
        raise errors.InvalidParameterValue(
            'The sort_key value "%s" is an invalid field for sorting; use '
            'one of %s.' % (sort_key, ', '.join(db_api.SORT_KEYS)))
    sort_dir = req.GET.get('sort_dir', 'asc')
    if sort_dir not in ('asc', 'desc'):
        raise errors.InvalidParameterValue(
            "Invalid sort direction: %s. Acceptable values are 'asc' or "
            "'desc'" % sort_dir)
    return limit, sort_key, sort_dir


def list_capsules(req):
    util.enforce(req, 'capsule:get_all')
    all_projects = util.bool_param(req, 'all_projects')
    if all_projects:
        util.enforce(req, 'capsule:get_all_all_projects')
    limit, sort_key, sort_dir = _list_params(req)
    project_id = None if all_projects else req.context.project_id
    marker = None
    marker_uuid = req.GET.get('marker')
    if marker_uuid is not None:
        found = req.services.db.find_capsules(marker_uuid, project_id)
        if not found:
            raise _not_found(marker_uuid)
        marker = found[0]
    rows = req.services.db.list_capsules(project_id, limit, marker,
                                         sort_key, sort_dir)
    host = req.host_url_for_links
    next_url = None
    if rows and len(rows) == limit:
        query = [('sort_key', sort_key), ('sort_dir', sort_dir),
                 ('limit', limit), ('marker', rows[-1].uuid)]
        if all_projects:
            query.append(('all_projects', 1))
        next_url = '%s/v1/capsules?%s' % (host,
                                          urllib.parse.urlencode(query))
    return util.json_response(
        200, capsule_view.capsule_list(rows, host, req.version, next_url))


def show_capsule(req):
    capsule = _lookup(req, req.urlvars['ident'])
    util.enforce(req, 'capsule:get', capsule.project_id)
    return util.json_response(
        200, capsule_view.capsule(capsule, req.host_url_for_links,
                                  req.version))


def delete_capsule(req):
    all_projects = util.bool_param(req, 'all_projects')
    if all_projects:
        util.enforce(req, 'capsule:delete_all_projects')
    capsule = _lookup(req, req.urlvars['ident'], all_projects)
    util.enforce(req, 'capsule:delete', capsule.project_id)
    if req.services.db.mark_for_deletion(capsule.uuid):
        req.services.runtime.submit(capsule.uuid)
    return util.empty_response(204)


def list_capsule_volumes(req):
    """Engine extension: the volumes a capsule uses, with their ids.

    A volume that is not auto-removed outlives its capsule and can be
    attached to a later capsule by this id (``cinder.volumeID``).
    """
    capsule = _lookup(req, req.urlvars['ident'])
    util.enforce(req, 'capsule:get', capsule.project_id)
    return util.json_response(200, volume_view.capsule_volumes(
        capsule, req.services.db.volumes_of(capsule.uuid)))
