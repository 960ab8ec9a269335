"""The ``endpoints`` attribute of OS::Zun::Capsule.

Where the capsule's declared ports are published on the container host, as
the heat-capsule engine's extension ``GET /v1/capsules/{uuid}/endpoints``
reports it: a list of maps ``{"container", "container_port", "protocol",
"host_ip", "host_port"}``.  A service without the extension (a real Zun
answers 404, or 405) gives an empty list.  It imports nothing beyond the
standard library (the resource module must load without zunclient).
"""

KEYS = (CONTAINER, CONTAINER_PORT, PROTOCOL, HOST_IP, HOST_PORT) = (
    'container', 'container_port', 'protocol', 'host_ip', 'host_port')
NO_EXTENSION = (404, 405)


def fetch(zun, capsule_uuid):
    """The capsule's endpoints through a zunclient Client (`zun`).

    :returns: list of maps with KEYS; [] without the extension, or for a
        capsule that is gone.
    :raises zunclient.exceptions.ClientException: any other failure.
    """
    try:
        _resp, body = zun.http_client.json_request(
            'GET', '/capsules/%s/endpoints' % capsule_uuid)
    except Exception as exc:
        # zunclient's HttpError subclasses carry the status.
        if getattr(exc, 'http_status', None) in NO_EXTENSION:
            return []
        raise
    found = (body or {}).get('endpoints') if isinstance(body, dict) else None
    if not isinstance(found, list):
        return []
    return [{key: item.get(key) for key in KEYS} for item in found
            if isinstance(item, dict)]
