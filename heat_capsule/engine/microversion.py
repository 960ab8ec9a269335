"""Microversions of the capsule API, in one place.

The engine speaks Zun's ``container`` microversions. Only 1.32 changes what a
capsule looks like on the wire (the legacy ``meta_name``/``meta_labels`` form
below it); the others up to 1.40 add fields to ``/v1/containers`` in Zun and
are accepted here so that python-zunclient 5.5.0, which asks for 1.40 after
discovery, negotiates exactly as it does against Zun.
"""

import re

SERVICE_TYPE = 'container'
HEADER = 'OpenStack-API-Version'
MIN_HEADER = 'OpenStack-API-Minimum-Version'
MAX_HEADER = 'OpenStack-API-Maximum-Version'

# Version history (what each version changes for capsules):
#   1.1   first capsule API (legacy view: meta_name, meta_labels)
#   1.32  current capsule view: name, labels, restart_policy as a dict
#   1.34  init_containers (always accepted and returned here)
#   1.35  ports in capsule containers
#   1.37  tty and stdin in capsule containers
#   1.38  annotations on capsules
#   1.40  Zun's maximum (python-zunclient 5.5.0's maximum too)
MIN_VERSION = (1, 1)
MAX_VERSION = (1, 40)
CURRENT_VIEW = (1, 32)

_VERSION_RE = re.compile(r'^([1-9][0-9]*)\.(0|[1-9][0-9]*)$')


class VersionNotAcceptable(Exception):
    """The requested version is malformed or outside the supported range."""


def to_string(version):
    return '%d.%d' % version


def supported_range():
    return 'from %s to %s' % (to_string(MIN_VERSION), to_string(MAX_VERSION))


def parse_header(value):
    """Return the (major, minor) a request asks for; the minimum if none.

    ``value`` is the raw header (or None). The service name must be exactly
    ``container``, as Zun requires.
    """
    if value is None or not value.strip():
        return MIN_VERSION
    parts = value.split()
    if len(parts) != 2 or parts[0] != SERVICE_TYPE:
        raise VersionNotAcceptable(
            'Invalid %s header %r: expected "%s X.Y" or "%s latest"; '
            'supported versions are %s.'
            % (HEADER, value, SERVICE_TYPE, SERVICE_TYPE, supported_range()))
    if parts[1] == 'latest':
        return MAX_VERSION
    match = _VERSION_RE.match(parts[1])
    if not match:
        raise VersionNotAcceptable(
            'Invalid version %r in %s; supported versions are %s.'
            % (parts[1], HEADER, supported_range()))
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise VersionNotAcceptable(
            'Version %s was requested but is not supported; supported '
            'versions are %s.' % (to_string(version), supported_range()))
    return version


def response_headers(version):
    """Headers that every /v1 response carries."""
    headers = [
        (MIN_HEADER, '%s %s' % (SERVICE_TYPE, to_string(MIN_VERSION))),
        (MAX_HEADER, '%s %s' % (SERVICE_TYPE, to_string(MAX_VERSION))),
        ('Vary', HEADER),
    ]
    if version is not None:
        headers.insert(0, (HEADER, '%s %s' % (SERVICE_TYPE,
                                              to_string(version))))
    return headers
