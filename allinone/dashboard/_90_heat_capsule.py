# Horizon settings snippet of the heat-capsule all-in-one, executed by
# openstack_dashboard/settings.py in its own namespace (local_settings.d),
# after heat-dashboard's _1699_orchestration_settings.py.
#
# The all-in-one has no Nova, so the default landing page after login (the
# Compute overview) answers 403: land on the stacks list instead.
HORIZON_CONFIG['user_home'] = '/project/stacks/'  # noqa: F821
# Heat delegates with trusts (heat.conf's default deferred_auth_method), so
# Launch Stack needs no copy of the user's password.
OPENSTACK_HEAT_STACK = {'enable_user_pass': False}
# Static files served by Django itself (allinone_urls.py): one process on
# 127.0.0.1, no web server in front.
ROOT_URLCONF = 'openstack_dashboard.local.allinone_urls'
