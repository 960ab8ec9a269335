"""Base class of the scenario tests: clients, stack helpers, waiters.

Each test class gets its own project and user (tempest's dynamic
credentials, or a pre-provisioned account), so ``GET /v1/capsules`` lists
only what that class made.
"""

import time

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import exceptions
from tempest import test

from heat_capsule.tempest import clients
from heat_capsule.tempest import templates

CONF = config.CONF

# Stack statuses the helpers expect.
(CREATE_COMPLETE, CREATE_FAILED, UPDATE_COMPLETE, DELETE_COMPLETE) = (
    'CREATE_COMPLETE', 'CREATE_FAILED', 'UPDATE_COMPLETE', 'DELETE_COMPLETE')


class CapsuleStackTest(test.BaseTestCase):
    """Stacks of ``OS::Zun::Capsule`` through Heat's API, checked in the
    capsule service."""

    credentials = ['primary']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.heat_capsule:
            raise cls.skipException('[service_available] heat_capsule is '
                                    'false')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        options = CONF.heat_capsule
        params = dict(config.service_client_config(),
                      region=CONF.identity.region,
                      endpoint_type=options.endpoint_type,
                      build_interval=options.build_interval,
                      build_timeout=options.build_timeout)
        auth = cls.os_primary.auth_provider
        cls.orchestration = clients.OrchestrationClient(
            auth, options.orchestration_catalog_type, **params)
        cls.capsules = clients.CapsuleClient(
            auth, options.catalog_type, **params)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.extensions = cls.capsules.extensions()

    def require_extension(self, name):
        """Skips the test unless the capsule service advertises ``name``
        (a heat-capsule-engine extension, ``heat_capsule.heat.features``)."""
        if name not in self.extensions:
            raise self.skipException('the capsule service does not offer '
                                     'the %r extension' % name)

    # -- stacks ------------------------------------------------------------

    def create_stack(self, template, parameters=None,
                     expected=CREATE_COMPLETE):
        """Creates a stack and waits for its final status.

        :param template: HOT text (``templates.read()`` or inline).
        :returns: (identifier ``"name/id"``, the stack dict).
        :raises AssertionError: when the final status is not ``expected``
            (the message carries Heat's status reason).
        """
        name = data_utils.rand_name('heat-capsule-tempest')
        ident = self.orchestration.create_stack(name, template, parameters)
        self.addCleanup(self._delete_quietly, ident)
        stack = self.orchestration.wait_for_stack(ident)
        self.assertIsNotNone(stack, 'stack %s vanished' % ident)
        self.assertEqual(expected, stack['stack_status'],
                         stack.get('stack_status_reason'))
        return ident, stack

    def update_stack(self, ident, template, parameters=None):
        """Updates a stack and waits for UPDATE_COMPLETE; :returns: it."""
        self.orchestration.update_stack(ident, template, parameters)
        # Heat sets UPDATE_IN_PROGRESS before it answers 202.
        stack = self.orchestration.wait_for_stack(ident)
        self.assertEqual(UPDATE_COMPLETE, stack['stack_status'],
                         stack.get('stack_status_reason'))
        return stack

    def delete_stack(self, ident):
        """Deletes a stack and waits until Heat no longer shows it."""
        self.orchestration.delete_stack(ident)
        stack = self.orchestration.wait_for_stack(ident)
        if stack is not None:
            self.assertEqual(DELETE_COMPLETE, stack['stack_status'],
                             stack.get('stack_status_reason'))

    def _delete_quietly(self, ident):
        """The cleanup: deletes the stack unless it is already deleted.

        A second DELETE of a DELETE_COMPLETE stack is not harmless: Heat
        27 answers it with a 400 (an AttributeError in
        ``Stack._check_refresh_cred``: the stack's stored credentials are
        gone), so the status is read first.
        """
        try:
            if (self.orchestration.show_stack(ident)['stack_status']
                    != DELETE_COMPLETE):
                self.delete_stack(ident)
        except exceptions.NotFound:
            pass

    def capsule_id(self, ident, resource):
        """The capsule uuid behind ``resource`` (its physical id)."""
        uuid = self.orchestration.show_resource(
            ident, resource)['physical_resource_id']
        self.assertTrue(uuid, '%s has no capsule id' % resource)
        return uuid

    def create_template(self, name, resource, parameters=None):
        """Creates ``templates/<name>.yaml`` (CREATE_COMPLETE).

        :returns: (identifier, capsule uuid of ``resource``, outputs).
        """
        ident, _stack = self.create_stack(templates.read(name), parameters)
        return (ident, self.capsule_id(ident, resource),
                self.orchestration.outputs(ident))

    # -- the capsule service -----------------------------------------------

    def assert_capsule_gone(self, uuid):
        """Waits until ``GET /v1/capsules/{uuid}`` is a 404."""
        deadline = time.monotonic() + CONF.heat_capsule.build_timeout
        while True:
            try:
                capsule = self.capsules.show_capsule(uuid)
            except exceptions.NotFound:
                return
            if time.monotonic() > deadline:
                self.fail('capsule %s still there (%s) after %s s' % (
                    uuid, capsule.get('status'),
                    CONF.heat_capsule.build_timeout))
            time.sleep(CONF.heat_capsule.build_interval)

    def delete_and_check_gone(self, ident, *uuids):
        """Deletes the stack; its capsules are then gone from the
        service."""
        self.delete_stack(ident)
        for uuid in uuids:
            self.assert_capsule_gone(uuid)
