"""Policy defaults in code (oslo.policy): a capsule belongs to its project.

A capsule's containers belong to it, so their rules (``container:logs``)
target the capsule's project.

Another project's capsule is simply not found (404, as in Zun); listing or
deleting across projects is for admins only, and unlike Zun a non-admin
asking for ``all_projects`` is told no (403) instead of being silently
scoped.
"""

from oslo_policy import policy

ADMIN = 'role:admin'
ADMIN_OR_OWNER = 'rule:context_is_admin or project_id:%(project_id)s'

RULES = [
    policy.RuleDefault('context_is_admin', ADMIN,
                       description='Who is an admin of the engine.'),
    policy.RuleDefault('admin_or_owner', ADMIN_OR_OWNER,
                       description='An admin or a member of the project '
                                   'that owns the object.'),
    policy.DocumentedRuleDefault(
        'capsule:create', 'rule:admin_or_owner', 'Create a capsule.',
        [{'method': 'POST', 'path': '/v1/capsules'}]),
    policy.DocumentedRuleDefault(
        'capsule:get', 'rule:admin_or_owner', 'Show a capsule.',
        [{'method': 'GET', 'path': '/v1/capsules/{capsule_ident}'}]),
    policy.DocumentedRuleDefault(
        'capsule:get_all', 'rule:admin_or_owner',
        'List the capsules of the caller\'s project.',
        [{'method': 'GET', 'path': '/v1/capsules'}]),
    policy.DocumentedRuleDefault(
        'capsule:get_all_all_projects', 'rule:context_is_admin',
        'List the capsules of every project (all_projects=1).',
        [{'method': 'GET', 'path': '/v1/capsules?all_projects=1'}]),
    policy.DocumentedRuleDefault(
        'capsule:delete', 'rule:admin_or_owner', 'Delete a capsule.',
        [{'method': 'DELETE', 'path': '/v1/capsules/{capsule_ident}'}]),
    policy.DocumentedRuleDefault(
        'capsule:delete_all_projects', 'rule:context_is_admin',
        'Delete a capsule of another project (all_projects=1).',
        [{'method': 'DELETE',
          'path': '/v1/capsules/{capsule_ident}?all_projects=1'}]),
    policy.DocumentedRuleDefault(
        'capsule:pause', 'rule:admin_or_owner',
        'Pause (freeze) every app container of a capsule (engine '
        'extension).',
        [{'method': 'POST', 'path': '/v1/capsules/{capsule_ident}/pause'}]),
    policy.DocumentedRuleDefault(
        'capsule:unpause', 'rule:admin_or_owner',
        'Unpause a paused capsule (engine extension).',
        [{'method': 'POST',
          'path': '/v1/capsules/{capsule_ident}/unpause'}]),
    policy.DocumentedRuleDefault(
        'container:logs', 'rule:admin_or_owner',
        'Read the logs of a container (app or init) of a capsule.',
        [{'method': 'GET', 'path': '/v1/containers/{container_ident}/logs'}]),
    # Quotas: Zun's rules and defaults.
    policy.DocumentedRuleDefault(
        'quota:get', 'rule:admin_or_owner',
        'Show the quotas (and usage) of a project.',
        [{'method': 'GET', 'path': '/v1/quotas/{project_id}'}]),
    policy.DocumentedRuleDefault(
        'quota:get_default', 'rule:admin_or_owner',
        'Show the default quotas, as seen by a project.',
        [{'method': 'GET', 'path': '/v1/quotas/{project_id}/defaults'}]),
    policy.DocumentedRuleDefault(
        'quota:update', 'rule:context_is_admin',
        'Set quotas of a project.',
        [{'method': 'PUT', 'path': '/v1/quotas/{project_id}'}]),
    policy.DocumentedRuleDefault(
        'quota:delete', 'rule:context_is_admin',
        'Drop the quotas set for a project (back to the defaults).',
        [{'method': 'DELETE', 'path': '/v1/quotas/{project_id}'}]),
    policy.DocumentedRuleDefault(
        'quota_class:get', 'rule:admin_or_owner',
        'Show a quota class.',
        [{'method': 'GET', 'path': '/v1/quota_classes/{quota_class_name}'}]),
    policy.DocumentedRuleDefault(
        'quota_class:update', 'rule:context_is_admin',
        'Set limits of a quota class ("default" changes every project\'s '
        'defaults).',
        [{'method': 'PUT', 'path': '/v1/quota_classes/{quota_class_name}'}]),
    policy.DocumentedRuleDefault(
        'volume:get_all', 'rule:admin_or_owner',
        'List the volumes of the caller\'s project (engine extension).',
        [{'method': 'GET', 'path': '/v1/volumes'}]),
    policy.DocumentedRuleDefault(
        'volume:get_all_all_projects', 'rule:context_is_admin',
        'List the volumes of every project (all_projects=1).',
        [{'method': 'GET', 'path': '/v1/volumes?all_projects=1'}]),
    policy.DocumentedRuleDefault(
        'volume:get', 'rule:admin_or_owner', 'Show a volume.',
        [{'method': 'GET', 'path': '/v1/volumes/{volume_uuid}'}]),
    policy.DocumentedRuleDefault(
        'volume:delete', 'rule:admin_or_owner',
        'Delete a volume no capsule uses.',
        [{'method': 'DELETE', 'path': '/v1/volumes/{volume_uuid}'}]),
]


def list_rules():
    return RULES


def make_enforcer(conf):
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(RULES)
    return enforcer
