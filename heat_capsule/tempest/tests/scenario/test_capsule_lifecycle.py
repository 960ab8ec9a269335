"""A capsule's life through Heat: a failing init container, an update that
replaces the capsule, and a delete that leaves nothing in the service.

The three share a class (a project and a user: dynamic credentials cost
a dozen Keystone calls per class)."""

from tempest.lib import decorators

from heat_capsule.tempest import base
from heat_capsule.tempest import templates

# An idle container that exits at once on SIGTERM (a shell waiting on
# "sleep" in the foreground would defer the signal, and the delete would
# wait out the grace period).
IDLE = "trap 'exit 0' TERM; while true; do sleep 3600 & wait $!; done"

FAILING_INIT = '''
heat_template_version: 2021-04-16
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      init_containers:
        - name: prepare
          image: busybox
          command: [sh, -c, "echo cannot prepare >&2; exit 3"]
      containers:
        - name: app
          image: busybox
          command: [sh, -c, "%(idle)s"]
''' % {'idle': IDLE}

TWO_CAPSULES = '''
heat_template_version: 2021-04-16
resources:
  first:
    type: OS::Zun::Capsule
    properties:
      volumes: [{name: scratch, size: 1, auto_remove: true}]
      containers:
        - image: busybox
          command: [sh, -c, "%(idle)s"]
          volume_mounts: [{name: scratch, mount_path: /scratch}]
  second:
    type: OS::Zun::Capsule
    properties:
      containers:
        - image: busybox
          command: [sh, -c, "%(idle)s"]
''' % {'idle': IDLE}

UPDATABLE = '''
heat_template_version: 2021-04-16
parameters:
  memory_mib: {type: number}
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - name: app
          image: busybox
          memory: {get_param: memory_mib}
          command: [sh, -c, "%(idle)s"]
outputs:
  memory: {value: {get_attr: [capsule, memory]}}
  status: {value: {get_attr: [capsule, status]}}
''' % {'idle': IDLE}


class CapsuleLifecycleTest(base.CapsuleStackTest):
    """The class has its own project, and each test deletes its stack and
    waits until its capsules are gone before the next one starts, so
    ``GET /v1/capsules`` lists only the running test's capsules."""

    @decorators.idempotent_id('d9e40005-fa2e-482a-920f-91da3acc11a0')
    def test_failing_init_container_fails_the_stack(self):
        """CREATE_FAILED, the reason naming the init container and its
        exit code; no app container started."""
        ident, stack = self.create_stack(
            templates.with_image(FAILING_INIT), expected=base.CREATE_FAILED)
        reason = stack['stack_status_reason']
        self.assertIn('prepare', reason)
        self.assertRegex(reason, r'\b3\b')
        uuid = self.capsule_id(ident, 'capsule')
        capsule = self.capsules.show_capsule(uuid)
        self.assertEqual('Error', capsule['status'])
        self.assertEqual([], [c for c in capsule['containers']
                              if c['status'] == 'Running'])
        self.delete_and_check_gone(ident, uuid)

    @decorators.idempotent_id('58a45c27-7132-4bf6-9758-616bc11fbc40')
    def test_update_replaces_the_capsule(self):
        """A changed container property replaces the capsule: a new uuid
        running the new value, the old capsule gone from the service."""
        template = templates.with_image(UPDATABLE)
        ident, _stack = self.create_stack(template,
                                          parameters={'memory_mib': 32})
        old = self.capsule_id(ident, 'capsule')
        self.update_stack(ident, template, parameters={'memory_mib': 64})
        new = self.capsule_id(ident, 'capsule')
        self.assertNotEqual(old, new)
        outputs = self.orchestration.outputs(ident)
        self.assertEqual(64, outputs['memory'])
        self.assertEqual('Running', outputs['status'])
        self.assert_capsule_gone(old)
        self.assertEqual([new], [c['uuid']
                                 for c in self.capsules.list_capsules()])
        self.delete_and_check_gone(ident, new)

    @decorators.idempotent_id('5ccbb58e-98ea-4e58-9c3f-cf4ad1614480')
    def test_delete_leaves_nothing_in_the_capsule_service(self):
        ident, _stack = self.create_stack(
            templates.with_image(TWO_CAPSULES))
        uuids = sorted(self.capsule_id(ident, name)
                       for name in ('first', 'second'))
        self.assertEqual(uuids, sorted(
            c['uuid'] for c in self.capsules.list_capsules()))
        self.delete_and_check_gone(ident, *uuids)
        self.assertEqual([], self.capsules.list_capsules())
