"""What tempest loads: the ``tempest.test_plugins`` entry point
``heat_capsule = heat_capsule.tempest.plugin:HeatCapsuleTempestPlugin``."""

import os

from tempest.test_discover import plugins

from heat_capsule.tempest import config


class HeatCapsuleTempestPlugin(plugins.TempestPlugin):

    def load_tests(self):
        """(directory of the tests, top level directory to import from)."""
        here = os.path.dirname(os.path.abspath(__file__))
        top = os.path.dirname(os.path.dirname(here))
        return os.path.join(here, 'tests'), top

    def register_opts(self, conf):
        conf.register_opt(config.service_option, group='service_available')
        conf.register_group(config.group)
        conf.register_opts(config.opts, group=config.group.name)

    def get_opt_lists(self):
        return config.list_opts()
