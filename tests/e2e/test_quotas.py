"""Quotas on the all-in-one, with real Keystone tokens.

Zun's policy with real roles: the demo user (a member) reads its project's
quotas with ``openstack appcontainer quota get`` but may neither set them
nor read another project's; the admin sets them. A stack whose capsule is
over the project's quota fails at once with the engine's reason.
"""

import pytest

from tests.e2e import base

OVER_QUOTA_TEMPLATE = '''
heat_template_version: 2021-04-16
description: Two containers, one more than the quota the test leaves room for.
resources:
  capsule:
    type: OS::Zun::Capsule
    properties:
      containers:
        - {name: one, image: busybox, command: [sleep, "3600"]}
        - {name: two, image: busybox, command: [sleep, "3600"]}
'''


class QuotaTest(base.HeatCapsuleTest):

    def setUp(self):
        super().setUp()
        self.project_id = self.session.get_project_id()
        self.admin_project_id = base.keystone_session(
            base.ADMIN_CLOUD).get_project_id()

    def _quota(self, *args, cloud=base.CLOUD, check=True, parse_json=True):
        return self.openstack('appcontainer', 'quota', *args, cloud=cloud,
                              check=check, parse_json=parse_json)

    def test_member_reads_its_own_quotas_only(self):
        _, quotas, _ = self._quota('get', self.project_id)
        self.assertEqual({'containers', 'memory', 'cpu', 'disk'},
                         set(quotas))
        _, usage, _ = self._quota('get', '--usages', self.project_id)
        self.assertEqual({'limit', 'in_use'}, set(usage['containers']))

        code, _, err = self._quota('update', '--containers', '1000',
                                   self.project_id, check=False)
        self.assertNotEqual(0, code)
        self.assertIn('Policy does not allow quota:update.', err)
        code, _, err = self._quota('get', self.admin_project_id,
                                   check=False)
        self.assertNotEqual(0, code)
        self.assertIn('Policy does not allow quota:get.', err)

    # Serial: it sets the quota of the demo project, which every other
    # end-to-end test creates its capsules in.
    @pytest.mark.serial
    def test_a_stack_over_the_quota_fails_with_the_reason(self):
        in_use = self.zun.quotas.get(self.project_id,
                                     usages=True).containers['in_use']
        self._quota('update', '--containers', str(in_use + 1),
                    self.project_id, cloud=base.ADMIN_CLOUD)
        self.addCleanup(self._quota, 'delete', self.project_id,
                        cloud=base.ADMIN_CLOUD, check=False,
                        parse_json=False)
        with self.assertRaises(base.StackBuildErrorException) as caught:
            self.stack_create(OVER_QUOTA_TEMPLATE)
        self.assertIn('Quota exceeded for resources: containers (limit %d, '
                      'in use %d, requested 2)' % (in_use + 1, in_use),
                      str(caught.exception))
