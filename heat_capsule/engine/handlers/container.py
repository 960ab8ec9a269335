"""``/v1/containers/{uuid}/logs``: the logs of a capsule's containers.

Zun's container logs call (``GET /v1/containers/{ident}/logs``, there since
microversion 1.1), for the init and app containers of capsules, so that
``openstack appcontainer logs <container uuid>`` and python-zunclient's
``containers.logs()`` read them. (Zun itself hides capsule containers from
``/v1/containers`` and has no logs for them.) A container is named by the
uuid the capsule view shows for it; names are only unique within a capsule,
so they are not accepted here.

The wire contract follows Zun and python-zunclient:

* query parameters ``stdout``, ``stderr``, ``timestamps``: oslo booleans
  (``True``/``False``, ``1``/``0``, ``yes``/``no``...; the client sends
  ``True``/``False``); stdout and stderr default to true, and both false
  means both, as the client does it. ``timestamps`` prefixes each line with
  Docker's RFC 3339 timestamp.
* ``tail``: ``all`` (the default) or a number of lines >= 0. Zun silently
  reads anything else as ``all``; here it is a 400 naming the parameter.
* ``since``: seconds since the epoch (an integer, as Zun accepts, or with a
  fraction), or a date and time ``YYYY-MM-DD HH:MM:SS`` with an optional
  fraction after ``,`` (Zun's format) or ``.``, a ``T`` instead of the space
  and an optional ``Z`` or ``+HH:MM`` offset; without an offset it is UTC.
  ``None`` (what python-zunclient sends for ``since=None``) or empty means
  no limit. Anything else is a 400.
* any other query parameter is a 400, as in Zun.
* the answer is 200 with the log text as one JSON string (Zun's
  ``pecan.expose('json')`` of the Docker output), which python-zunclient
  decodes and the CLI prints. The text is the newest ``MAX_LOG_BYTES``
  bytes at most, after a first line saying how much was left out.

Errors, in Zun's envelope: 404 ``container.container-not-found`` for an
unknown uuid or another project's container (its existence is never
revealed), 403 if policy ``container:logs`` says no, 409
``container.invalid-state-exception`` when the container is known but has
no Docker container (not created yet, or removed outside the engine), 503
when Docker does not answer, 500 with Docker's reason if Docker refuses.

An init container, failed or not, stays in Docker until its capsule is
deleted, so its full log stays readable here; after the delete it is a 404.
"""

import datetime
import re
import uuid as uuidlib

from heat_capsule.engine import errors
from heat_capsule.engine.handlers import util
from heat_capsule.engine.runtime import spec as runtime_spec
from heat_capsule import names

PARAMETERS = ('stdout', 'stderr', 'timestamps', 'tail', 'since')
# The most log text one answer carries (the newest part is kept).
MAX_LOG_BYTES = 8 * 1024 * 1024
# Docker reads a larger tail as "all" anyway.
_MAX_TAIL = 2 ** 31 - 1
# 9999-12-31T23:59:59Z: a later since is just as much in the future.
_MAX_SINCE = 253402300799
_EPOCH = re.compile(r'^([0-9]+)(?:\.([0-9]+))?$')
_DATETIME = re.compile(
    r'^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})'
    r'(?:[.,]([0-9]{1,9}))?'
    r'(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?$')


def _tail(req):
    value = req.GET.get('tail')
    if value is None or value.strip().lower() == 'all':
        return 'all'
    digits = value.strip()
    if not re.match(r'^[0-9]+$', digits):
        raise util.invalid_parameter(
            'tail', value, "Use 'all' or a number of lines (an integer "
            ">= 0).")
    digits = digits.lstrip('0') or '0'
    if len(digits) > 10 or int(digits) > _MAX_TAIL:
        return 'all'
    return int(digits)


def _since(req):
    """Seconds since the epoch (int or float), or None for no limit."""
    value = req.GET.get('since')
    if value is None or value.strip() in ('', 'None'):
        return None
    text = value.strip()
    epoch = _EPOCH.match(text)
    if epoch:
        whole = epoch.group(1).lstrip('0') or '0'
        if len(whole) > 12 or int(whole) > _MAX_SINCE:
            return _MAX_SINCE
        if (epoch.group(2) or '').strip('0'):
            return float('%s.%s' % (whole, epoch.group(2)[:9]))
        return int(whole)
    moment = _DATETIME.match(text)
    expected = ('Use seconds since the epoch or a UTC date and time '
                '(YYYY-MM-DD HH:MM:SS[,fff], also ISO 8601 with T and an '
                'offset).')
    if not moment:
        raise util.invalid_parameter('since', value, expected)
    (year, month, day, hour, minute, second, fraction, zulu, sign,
     off_hours, off_minutes) = moment.groups()
    try:
        zone = datetime.timezone.utc
        if sign:
            offset = datetime.timedelta(hours=int(off_hours),
                                        minutes=int(off_minutes))
            zone = datetime.timezone(-offset if sign == '-' else offset)
        when = datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            int(second), int((fraction or '0').ljust(6, '0')[:6]),
            tzinfo=zone)
        seconds = when.timestamp()
    except (ValueError, OverflowError):
        raise util.invalid_parameter('since', value, expected)
    if seconds < 1:
        return None
    return int(seconds) if seconds == int(seconds) else seconds


def _params(req):
    unknown = sorted(set(req.GET) - set(PARAMETERS))
    if unknown:
        raise errors.InvalidParameterValue(
            "Unknown query parameter '%s'; this call takes %s."
            % (unknown[0], ', '.join(PARAMETERS)))
    stdout = util.bool_param(req, 'stdout', True)
    stderr = util.bool_param(req, 'stderr', True)
    if not stdout and not stderr:
        stdout = stderr = True
    return {'stdout': stdout, 'stderr': stderr,
            'timestamps': util.bool_param(req, 'timestamps'),
            'tail': _tail(req), 'since': _since(req)}


def _not_found(ident):
    return errors.ContainerNotFound('Container %s could not be found.'
                                    % ident)


def _lookup(req, ident):
    """(container, capsule) as the caller may see them, else 404.

    Admins see every project's containers (as with capsules); everyone
    else only those of their own project's capsules.
    """
    try:
        container_uuid = str(uuidlib.UUID(ident))
    except ValueError:
        raise _not_found(ident)
    ctx = req.context
    if ctx.is_admin:
        project_id = None
    elif ctx.project_id:
        project_id = ctx.project_id
    else:
        raise _not_found(ident)
    found = req.services.db.find_container(container_uuid, project_id)
    if found is None:
        raise _not_found(ident)
    return found


def _no_docker_container(container, capsule):
    if container.status == names.CREATING:
        why = 'it has not been created in Docker (yet)'
    elif container.status == names.ERROR and container.started_at is None:
        why = 'it has not been created in Docker (its capsule failed first)'
    else:
        why = 'its Docker container no longer exists'
    return errors.InvalidState(
        'Cannot read the logs of container %s (%s) of capsule %s: %s; the '
        'container is %s and the capsule %s.' % (
            container.uuid, container.name, capsule.uuid, why,
            container.status, capsule.status))


def container_logs(req):
    container, capsule = _lookup(req, req.urlvars['container_ident'])
    util.enforce(req, 'container:logs', capsule.project_id)
    params = _params(req)
    try:
        found = req.services.docker().container_logs(
            capsule.uuid, container.uuid, max_bytes=MAX_LOG_BYTES, **params)
    except runtime_spec.DockerUnavailable as exc:
        raise errors.ServiceUnavailable(
            'Cannot read the logs of container %s: %s' % (container.uuid,
                                                          exc))
    except runtime_spec.CapsuleRuntimeError as exc:
        raise errors.APIError(str(exc))
    if found is None:
        raise _no_docker_container(container, capsule)
    data, dropped = found
    note = ''
    if dropped:
        # Start at a line boundary; say what is missing.
        newline = data.find(b'\n')
        if 0 <= newline < len(data) - 1:
            dropped += newline + 1
            data = data[newline + 1:]
        note = ('[heat-capsule: %d earlier bytes left out; the answer is '
                'limited to %d bytes: use tail or since]\n'
                % (dropped, MAX_LOG_BYTES))
    return util.json_response(200, note + data.decode('utf-8', 'replace'))
