"""The request context: who is asking, from keystonemiddleware headers."""

from oslo_context import context


def from_environ(environ, enforcer):
    """Build the context from X-Project-Id, X-User-Id, X-Roles and friends.

    Those headers are set by keystonemiddleware in keystone mode and by the
    noauth middleware (with configured defaults) otherwise.
    """
    ctx = context.RequestContext.from_environ(environ)
    ctx.is_admin = enforcer.enforce('context_is_admin', {},
                                    ctx.to_policy_values())
    return ctx
