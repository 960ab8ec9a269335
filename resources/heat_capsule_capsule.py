"""heat-capsule's drop-in for Heat's ``plugin_dirs``: OS::Zun::Capsule.

Heat has no entry point for resource types; it imports every module found in
``[DEFAULT] plugin_dirs`` and registers what ``available_resource_mapping()``
returns. An exception escaping from such a module stops heat-engine, so this
file only re-exports the mapping of the installed ``heat_capsule`` package,
behind a guard: if ``heat_capsule`` or python-zunclient cannot be imported
(or anything else goes wrong) the type is simply not offered.

Installed by setup.cfg ``data_files`` into ``<prefix>/lib/heat/heat_capsule/``.
"""

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

RESOURCE_TYPE = 'OS::Zun::Capsule'

try:
    import zunclient  # noqa: F401  (the resource needs it at run time)

    from heat_capsule.heat import capsule as _capsule
except Exception as exc:  # never take heat-engine down
    _capsule = None
    _import_error = '%s: %s' % (type(exc).__name__, exc)


def available_resource_mapping():
    if _capsule is None:
        LOG.warning('%(type)s is not available: %(error)s',
                    {'type': RESOURCE_TYPE, 'error': _import_error})
        return {}
    try:
        return _capsule.available_resource_mapping()
    except Exception:
        LOG.exception('%s is not available', RESOURCE_TYPE)
        return {}
