"""The ``zun_capsule`` Heat client plugin and the ``zun.capsule`` constraint.

Heat's own ``zun`` client plugin only allows microversions 1.12, 1.18 and
1.36, and capsule ``tty``/``stdin`` (1.37) and ``annotations`` (1.38) need
more, so this package ships its own plugin under its own name. Both are
registered through entry points (setup.cfg)::

    [heat.clients]
    zun_capsule = heat_capsule.heat.client:ZunCapsuleClientPlugin
    [heat.constraints]
    zun.capsule = heat_capsule.heat.client:CapsuleConstraint

Microversion choice: the plugin pins ``1.40`` instead of negotiating
``latest``. 1.40 is the maximum of Zun 18, of python-zunclient 5.5 and of the
bundled engine, so the wire format (the >= 1.32 capsule view) is the same
everywhere and no extra ``GET /`` discovery round trip is made per client.
A service that cannot serve 1.40 rejects the request (406) instead of
silently dropping fields the template relies on.

The service type stays ``container``: the client finds the bundled engine or
a real Zun through the Keystone catalog, whichever is registered there.
"""

from zunclient import client as zun_client
from zunclient import exceptions as zc_exc

from heat.common import exception
from heat.engine.clients import client_plugin
from heat.engine import constraints

from heat_capsule.heat import template

CLIENT_NAME = template.CLIENT_NAME


class ZunCapsuleClientPlugin(client_plugin.ClientPlugin):
    """Client plugin for capsules on a Zun-compatible ``container`` service.

    The endpoint comes from the request's Keystone session and catalog, its
    interface from Heat's ``[clients] endpoint_type``, the region from the
    request context (or ``region_name_for_services``), exactly as for
    Heat's own ``zun`` plugin.
    """

    exceptions_module = zc_exc

    service_types = [CONTAINER] = ['container']

    default_version = template.MICROVERSION

    supported_versions = [V1_40] = [template.MICROVERSION]

    def _create(self, version=None):
        interface = self._get_client_option(CLIENT_NAME, 'endpoint_type')
        return zun_client.Client(
            version or self.default_version,
            session=self.context.keystone_session,
            service_type=self.CONTAINER,
            interface=interface,
            region_name=self._get_region_name())

    def _get_service_name(self):
        # Used by ClientPlugin.client() to report an unsupported version;
        # the base class does not define it.
        return self.CONTAINER

    def is_not_found(self, ex):
        return isinstance(ex, zc_exc.NotFound)

    def is_over_limit(self, ex):
        return isinstance(ex, zc_exc.RequestEntityTooLarge)

    def is_conflict(self, ex):
        return isinstance(ex, zc_exc.Conflict)

    def get_capsule(self, capsule):
        """Return the UUID of a capsule given by name or UUID.

        :raises heat.common.exception.EntityNotFound: if there is none.
        """
        try:
            found = self.client().capsules.get(capsule)
        except zc_exc.NotFound:
            found = None
        if found is None:
            raise exception.EntityNotFound(entity='Capsule', name=capsule)
        return found.uuid


class CapsuleConstraint(constraints.BaseCustomConstraint):
    """``custom_constraint: zun.capsule``: the value names an existing capsule.

    Accepts a capsule name or UUID visible to the requesting project.
    """

    expected_exceptions = (exception.EntityNotFound, zc_exc.NotFound)

    resource_client_name = CLIENT_NAME
    resource_getter_name = 'get_capsule'
