"""Options of the tempest plugin: ``[heat_capsule]`` in tempest.conf.

Tempest reads them through ``tempest.config.CONF`` once
``HeatCapsuleTempestPlugin.register_opts`` has registered them.
"""

from oslo_config import cfg

service_option = cfg.BoolOpt(
    'heat_capsule', default=True,
    help='Whether OS::Zun::Capsule is expected to be available: Heat with '
         'the resource type, and a service of type "container" (a real '
         'Zun or heat-capsule-engine) in the catalog.')

group = cfg.OptGroup(name='heat_capsule',
                     title='OS::Zun::Capsule scenario test options')

opts = [
    cfg.StrOpt('image', default='busybox',
               help='Image every container of the tests runs, instead of '
                    'the "busybox" the example templates name. It needs a '
                    'busybox userland: sh, sleep, httpd, wget, seq.'),
    cfg.StrOpt('templates_dir', default='',
               help='Directory of the HOT examples (the repository\'s '
                    'templates/). Empty: the checkout the plugin is '
                    'installed from, else <prefix>/share/heat-capsule/'
                    'templates.'),
    cfg.StrOpt('catalog_type', default='container',
               help='Catalog type of the capsule service.'),
    cfg.StrOpt('orchestration_catalog_type', default='orchestration',
               help='Catalog type of Heat.'),
    cfg.StrOpt('endpoint_type', default='publicURL',
               choices=['public', 'admin', 'internal', 'publicURL',
                        'adminURL', 'internalURL'],
               help='Interface of both endpoints.'),
    cfg.IntOpt('build_timeout', default=300, min=1,
               help='Seconds a stack may take to reach a final status '
                    '(create, update or delete), and a deleted capsule to '
                    'disappear from the capsule service.'),
    cfg.IntOpt('build_interval', default=1, min=1,
               help='Seconds between two polls of a stack or a capsule.'),
]


def list_opts():
    """[(group name, options)] for ``tempest.conf`` generation."""
    return [(group.name, opts), ('service_available', [service_option])]
