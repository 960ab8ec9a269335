"""Horizon's URLs plus its static files, for the all-in-one's dashboard.

Horizon's own URL configuration serves static files only with DEBUG on; the
all-in-one runs with DEBUG off and no web server in front, so the collected
and compressed files under STATIC_ROOT are served here by Django's static
view (fine for one user on 127.0.0.1, not for a production site).
"""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from openstack_dashboard.urls import urlpatterns as horizon_urlpatterns

_PREFIX = settings.STATIC_URL.lstrip('/')

urlpatterns = [
    re_path(r'^%s(?P<path>.*)$' % _PREFIX, serve,
            {'document_root': settings.STATIC_ROOT}),
] + list(horizon_urlpatterns)
