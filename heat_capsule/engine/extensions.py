"""The engine's extensions of Zun's capsule API, as ``GET /`` advertises them.

A client tells the bundled engine from a real Zun by these names, listed in
``versions[].extensions`` of the version document (Zun has no such key).
OS::Zun::Capsule reads them (``heat_capsule.heat.features``, which spells
the same names: the Heat side may not import the engine) and leaves out or
refuses what a service does not offer.

``healthcheck``
    A ``healthcheck`` on capsule app containers (Zun's schema refuses the
    key: 400), reported with its Docker health in the container view; what
    ``created_when: healthy`` waits on.

``termination-grace-period``
    ``spec.terminationGracePeriodSeconds``: the stop signal, grace period
    and SIGKILL of a delete (``runtime.stopping``). Zun kills at once.

``pause``
    ``POST /v1/capsules/{ident}/pause`` and ``/unpause`` (stack suspend and
    resume).

``volumes``
    ``GET``/``DELETE /v1/volumes[/{uuid}]``: the volumes the engine made,
    kept ones included.

``endpoints``
    ``GET /v1/capsules/{ident}/endpoints``: where the capsule's ports are
    published (``ports[].hostPort`` itself is Zun's key, which Zun ignores).

An extension added to the engine gets its name here, in the Heat side's
``features.EXTENSIONS`` and, if the resource sends a new template key for
it, a row in ``features.CONTAINER_KEYS`` or ``features.SPEC_KEYS``.

``[api] advertise_extensions = false`` makes the engine advertise none, so
the resource treats it as a plain Zun (to try a template meant for Zun).
"""

ADVERTISED = (
    HEALTHCHECK, TERMINATION_GRACE_PERIOD, PAUSE, VOLUMES, ENDPOINTS,
) = (
    'healthcheck', 'termination-grace-period', 'pause', 'volumes',
    'endpoints',
)


def advertised(conf):
    """The names ``GET /`` lists: ``ADVERTISED``, or () when switched off."""
    return list(ADVERTISED) if conf.api.advertise_extensions else []
