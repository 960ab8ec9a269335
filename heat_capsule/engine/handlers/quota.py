"""``/v1/quotas`` and ``/v1/quota_classes``: Zun's quota API.

As python-zunclient 5.5.0 and ``openstack appcontainer quota ...`` use it:

* ``GET /v1/quotas/{project_id}[?usages=true]``: the project's limits (own
  rows, else the ``default`` class, else ``[quota]``), with usage if asked;
* ``PUT /v1/quotas/{project_id}`` ``{"containers": 10, ...}``: set some
  limits, answer the project's limits (200);
* ``DELETE /v1/quotas/{project_id}``: drop the project's own rows (204);
* ``GET /v1/quotas/{project_id}/defaults``: the limits without its rows;
* ``GET/PUT /v1/quota_classes/{name}``: a quota class; ``default`` replaces
  the configured defaults for every project (Zun's rule).

Policy (Zun's): a project reads its own quotas and any class; admins read
and change everything. Lowering a limit below the usage is allowed (as in
Zun): existing capsules stay, new creates are refused.

``admission`` is what ``POST /v1/capsules`` runs in its transaction.
"""

from heat_capsule.engine import errors
from heat_capsule.engine.handlers import util
from heat_capsule.engine import quota
from heat_capsule.engine.schemas import quota as quota_schema
from heat_capsule.engine.views import quota as quota_view


def _limits_body(req):
    body = util.read_json_body(req)
    try:
        return quota_schema.parse_update(body)
    except quota_schema.InvalidLimit as exc:
        raise errors.SchemaValidationError(str(exc))


def _checked_name(kind, value):
    if len(value) > quota_schema.MAX_NAME:
        raise errors.InvalidParameterValue(
            'The %s is %d characters long; the limit is %d.'
            % (kind, len(value), quota_schema.MAX_NAME))
    return value


def show_quotas(req):
    project_id = req.urlvars['project_id']
    util.enforce(req, 'quota:get', project_id)
    services = req.services
    limits = quota.project_limits(services.conf, services.db, project_id)
    if util.bool_param(req, 'usages'):
        body = quota_view.usages(limits,
                                 services.db.project_usage(project_id))
    else:
        body = quota_view.limits(limits)
    return util.json_response(200, body)


def _update(req, store, owner, limits_of):
    """Store the body's limits for ``owner``; answer its limits (Zun)."""
    values = _limits_body(req)
    if values:
        store(owner, values)
    return util.json_response(200, quota_view.limits(
        limits_of(req.services.conf, req.services.db, owner)))


def update_quotas(req):
    project_id = req.urlvars['project_id']
    util.enforce(req, 'quota:update', project_id)
    return _update(req, req.services.db.set_project_quotas,
                   _checked_name('project id', project_id),
                   quota.project_limits)


def delete_quotas(req):
    project_id = req.urlvars['project_id']
    util.enforce(req, 'quota:delete', project_id)
    req.services.db.delete_project_quotas(project_id)
    return util.empty_response(204)


def default_quotas(req):
    project_id = req.urlvars['project_id']
    util.enforce(req, 'quota:get_default', project_id)
    return util.json_response(200, quota_view.limits(
        quota.default_limits(req.services.conf, req.services.db)))


def show_quota_class(req):
    util.enforce(req, 'quota_class:get')
    name = req.urlvars['quota_class_name']
    return util.json_response(200, quota_view.limits(
        quota.class_limits(req.services.conf, req.services.db, name)))


def update_quota_class(req):
    util.enforce(req, 'quota_class:update')
    return _update(req, req.services.db.set_class_quotas,
                   _checked_name('quota class name',
                                 req.urlvars['quota_class_name']),
                   quota.class_limits)


def admission(req, capsule, new_volumes):
    """The quota and capacity check of a create, for
    ``Database.create_capsule(admission=...)``: raises the API errors
    (403 over quota, 409 over the host's capacity) from its transaction,
    so nothing is stored and nothing reaches Docker."""
    check = quota.admission(req.services.conf, capsule.project_id,
                            quota.request_of(capsule, new_volumes))

    def run(session):
        try:
            check(session)
        except quota.OverQuota as exc:
            raise errors.OverQuota(str(exc))
        except quota.InsufficientCapacity as exc:
            raise errors.InsufficientCapacity(str(exc))
    return run


# --- OpenAPI -----------------------------------------------------------------

def openapi_paths(json, errors_for, version_param):
    """The quota paths of the OpenAPI document (handlers.openapi)."""
    project = {'name': 'project_id', 'in': 'path', 'required': True,
               'schema': {'type': 'string'},
               'description': 'A project id (Keystone).'}
    name = {'name': 'quota_class_name', 'in': 'path', 'required': True,
            'schema': {'type': 'string'},
            'description': "A quota class; 'default' holds the defaults."}
    body = {'required': True, 'content': {'application/json': {
        'schema': quota_schema.UPDATE}}}
    usages = {'name': 'usages', 'in': 'query', 'required': False,
              'schema': {'type': 'string'},
              'description': 'A boolean (True/False, 1/0, yes/no...): '
                             'add what the project uses.'}
    versioned = (403, 404, 405, 406)
    limits = json({'$ref': '#/components/schemas/QuotaSet'},
                  'The limits.')
    return {
        '/v1/quotas/{project_id}': {
            'parameters': [project],
            'get': {'operationId': 'showQuotas',
                    'summary': "A project's quotas (its own or a member's "
                               'project; admins any).',
                    'parameters': [version_param, usages],
                    'responses': dict({'200': json({'oneOf': [
                        {'$ref': '#/components/schemas/QuotaSet'},
                        {'$ref': '#/components/schemas/QuotaUsage'}]},
                        'The limits, or limits and usage.')},
                        **errors_for(400, *versioned))},
            'put': {'operationId': 'updateQuotas',
                    'summary': "Admin: set some of a project's limits.",
                    'parameters': [version_param], 'requestBody': body,
                    'responses': dict({'200': limits}, **errors_for(
                        400, 413, 415, *versioned))},
            'delete': {'operationId': 'deleteQuotas',
                       'summary': "Admin: drop a project's own limits.",
                       'parameters': [version_param],
                       'responses': dict(
                           {'204': {'description': 'Dropped.'}},
                           **errors_for(*versioned))}},
        '/v1/quotas/{project_id}/defaults': {
            'parameters': [project],
            'get': {'operationId': 'defaultQuotas',
                    'summary': 'The default limits.',
                    'parameters': [version_param],
                    'responses': dict({'200': limits},
                                      **errors_for(*versioned))}},
        '/v1/quota_classes/{quota_class_name}': {
            'parameters': [name],
            'get': {'operationId': 'showQuotaClass',
                    'summary': 'A quota class (unset resources show the '
                               'configured defaults).',
                    'parameters': [version_param],
                    'responses': dict({'200': limits},
                                      **errors_for(*versioned))},
            'put': {'operationId': 'updateQuotaClass',
                    'summary': 'Admin: set limits of a quota class.',
                    'parameters': [version_param], 'requestBody': body,
                    'responses': dict({'200': limits}, **errors_for(
                        400, 413, 415, *versioned))}},
    }


OPENAPI_SCHEMAS = {'QuotaSet': quota_view.LIMITS_SCHEMA,
                   'QuotaUsage': quota_view.USAGES_SCHEMA}
