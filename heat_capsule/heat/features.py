"""Engine-only features: what the service offers, what a template uses.

OS::Zun::Capsule works against a real Zun and against the bundled
heat-capsule engine. The engine accepts more than Zun's capsule API (its
extensions); Zun refuses some of them outright (a container ``healthcheck``
is a 400 "'healthcheck' was unexpected" from Zun's schema) and ignores
others. So the resource does not assume them: it asks the service.

Advertisement. The engine lists its extensions in its version document,
``GET /``: ``versions[].extensions`` of the CURRENT version, e.g.
``["healthcheck"]``. A real Zun has no such key, so it offers none. The
request is one GET per capsule create (Zun and the engine serve ``/``
without a token).

What the resource does with a template that uses an extension the service
does not offer (``adapt()``):

* an optional field Zun does not need is left out of the request (a
  healthcheck under ``created_when: started``: the stack works the same,
  nothing is gated on it), and the resource logs it;
* a property whose meaning depends on it fails the create with one sentence
  naming the property (``created_when: healthy`` without healthchecks can
  never complete).

Extension names are the wire contract with the engine
(``heat_capsule.engine.extensions`` advertises them); the Heat side must not
import the engine, so they are spelled here too and a unit test compares the
two lists.

``shorten()`` cuts a service's error text to ``REASON_MAX`` characters, so a
stack's status reason stays readable (Zun's schema errors run to 8 kB).
"""

from heat_capsule import textutils

# Extension names, as the engine advertises them.
EXTENSIONS = (
    HEALTHCHECK, TERMINATION_GRACE_PERIOD, PAUSE, VOLUMES_API, ENDPOINTS,
) = (
    'healthcheck', 'termination-grace-period', 'pause', 'volumes',
    'endpoints',
)

# Longest service text put into a resource's status reason.
REASON_MAX = 500


def shorten(value, limit=REASON_MAX):
    """``heat_capsule.textutils.shorten`` at the status-reason length: log
    lines keep their line breaks."""
    return textutils.shorten(value, limit)


def advertised(client):
    """The extension names the service behind ``client`` offers.

    :param client: a python-zunclient v1 client; its ``versions.list()``
        reads ``GET /``.
    :returns: a frozenset of names; empty for a real Zun and for any
        document without an ``extensions`` list.
    :raises: whatever ``versions.list()`` raises; the caller decides.
    """
    versions = client.versions.list()
    for version in versions or []:
        info = version.to_dict() if hasattr(version, 'to_dict') else version
        if info.get('status') == 'CURRENT':
            names = info.get('extensions')
            if isinstance(names, list):
                return frozenset(str(name) for name in names)
    return frozenset()


class Unsupported(Exception):
    """A property needs an extension the service does not offer."""


# Template keys the engine adds, and what happens without the extension:
# (extension, where in the template, property path for messages).
# Container-level keys; other helpers' spec-level keys go in SPEC_KEYS.
CONTAINER_KEYS = (
    (HEALTHCHECK, 'healthcheck', 'containers[%d].healthcheck'),
)
SPEC_KEYS = (
    (TERMINATION_GRACE_PERIOD, 'terminationGracePeriodSeconds',
     'termination_grace_period'),
)


def adapt(template, offered, healthy_gate=False):
    """Make ``template`` fit a service that offers only ``offered``.

    :param template: the capsule template (``template.build_template()``),
        changed in place.
    :param offered: extension names, from ``advertised()``.
    :param healthy_gate: whether ``created_when`` is ``healthy``.
    :returns: the property paths left out, e.g.
        ``['containers[0].healthcheck']``.
    :raises Unsupported: with one sentence naming the property, when the
        template cannot mean the same without the extension.
    """
    if healthy_gate and HEALTHCHECK not in offered:
        raise Unsupported(
            'created_when "healthy" needs the heat-capsule engine (its '
            '"%s" extension); this container service does not offer it.'
            % HEALTHCHECK)
    left_out = []
    spec = template.get('spec') or {}
    for extension, key, where in SPEC_KEYS:
        if extension not in offered and key in spec:
            del spec[key]
            left_out.append(where)
    for extension, key, where in CONTAINER_KEYS:
        if extension in offered:
            continue
        for index, container in enumerate(spec.get('containers') or []):
            if key in container:
                del container[key]
                left_out.append(where % index)
    return left_out


def require(offered, extension, what):
    """Raise Unsupported unless ``extension`` is offered.

    :param what: the property or action that needs it, e.g. "suspend".
    """
    if extension not in offered:
        raise Unsupported(
            '%s needs the heat-capsule engine (its "%s" extension); this '
            'container service does not offer it.' % (what, extension))


def shorten_error(exc, limit=REASON_MAX):
    """Cut the text of a python-zunclient HTTP error in place; return it.

    The exception keeps its type (callers tell NotFound, Conflict, ...
    apart); its ``message`` is cut with ``shorten()`` and its text rebuilt
    as zunclient words it, "<message> (HTTP <code>) (Request-ID: <id>)".
    Other exceptions are returned unchanged.
    """
    message = getattr(exc, 'message', None)
    if not isinstance(message, str) or not hasattr(exc, 'http_status'):
        return exc
    exc.message = shorten(message, limit)
    text = '%s (HTTP %s)' % (exc.message, exc.http_status)
    if getattr(exc, 'request_id', None):
        text += ' (Request-ID: %s)' % exc.request_id
    exc.args = (text,)
    return exc
