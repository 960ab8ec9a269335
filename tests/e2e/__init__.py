"""End-to-end tests against the all-in-one (tools/allinone.sh).

Real Keystone, real Heat with OS::Zun::Capsule loaded from plugin_dirs, and
heat-capsule-engine in keystone auth mode found through the catalog, all on
127.0.0.1; capsules run on the real Docker engine. Written in the style of
heat-tempest-plugin (see base.py).

They need the all-in-one up: ``sudo bash tools/allinone.sh start``.
Without it they are skipped, unless ``HEAT_CAPSULE_E2E=1`` (what
tools/run-tests.sh sets), in which case they fail.
"""
