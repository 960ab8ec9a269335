"""Validation of ``POST /v1/capsules`` bodies.

``validate_create_body(body)`` runs the JSON schema of
``heat_capsule.engine.schemas.capsule`` and then the checks a schema cannot
express, and returns the template in normal form. Every problem is reported
as ``InvalidInput`` naming the offending field; nothing else escapes, so the
API can always answer 400 (Zun answers 500 to several of these).

Normal form of the returned template:

* a template sent as a JSON string is parsed;
* the strings True/true/False/false of ``stdin``, ``tty``,
  ``volumeMounts[].readOnly`` and ``cinder.autoRemove`` become booleans;
* keys Zun accepts and ignores (unknown ``metadata`` keys, unknown ``spec``
  keys, extra keys on a volume item) are dropped;
* everything else is returned as given (a fresh copy: the caller's body is
  never modified). Absent fields stay absent: defaults are not filled in.
"""

import json
import math
import numbers
import re

import jsonschema

from heat_capsule import bounds
from heat_capsule.engine.schemas import capsule as capsule_schema
from heat_capsule import textutils


class InvalidInput(Exception):
    """A request body problem, attributed to one field.

    ``path`` is a dotted path with ``[i]`` indexes, e.g.
    ``template.spec.containers[0].resources.requests.cpu``; the body
    itself is ``body``.
    """

    def __init__(self, path, message):
        self.path = path or 'body'
        self.message = message
        super().__init__(
            f"Invalid input for field '{self.path}': {self.message}")


# --- paths ------------------------------------------------------------------

_PLAIN_KEY = re.compile(r'[A-Za-z0-9_-]+\Z')


def format_path(parts):
    """('template', 'spec', 'containers', 0) -> 'template.spec.containers[0]'.

    Keys that are not plain words (an env variable named ``a.b``) are shown
    as ``['a.b']`` so the path stays readable and unambiguous.
    """
    out = ''
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f'[{part}]'
        elif isinstance(part, str) and _PLAIN_KEY.match(part):
            out += f'.{part}' if out else part
        else:
            out += f'[{_show(part)}]'
    return out or 'body'


def _path_key(parts):
    """A sort key for a path whose parts may mix ints and strings."""
    return tuple((0, p, '') if isinstance(p, int) else (1, 0, str(p))
                 for p in parts)


# --- messages ---------------------------------------------------------------

_MAX_SHOWN = 60


def _show(value):
    """A short, JSON-flavoured rendering of a value for error messages."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, dict):
        return 'an object'
    if isinstance(value, list):
        return 'an array'
    try:
        text = repr(value)
    except Exception:  # e.g. an int too long to print
        text = '<value>'
    if len(text) > _MAX_SHOWN:
        # Keep the closing quote or bracket of the repr.
        text = textutils.shorten(text[:-1], _MAX_SHOWN - 1) + text[-1]
    return text


def _types(expected):
    if isinstance(expected, str):
        expected = [expected]
    return ', '.join(f"'{t}'" for t in expected)


def _plural(n, word):
    return f'{n} {word}' if n == 1 else f'{n} {word}s'


# Order in which errors at the same path are reported: a wrong type first,
# then a field refused by name (so a hostPath-only volume says so rather
# than "missing required field 'cinder'"), then missing and unknown fields,
# then lengths (a one-letter name is "too short" rather than "not valid").
_RANK = {'type': 0, 'not': 1, 'required': 2, 'additionalProperties': 3,
         'minLength': 4, 'maxLength': 4}


def _describe(error):
    """(path parts, message) for one jsonschema ValidationError."""
    path = list(error.absolute_path)
    kind = error.validator
    value = error.instance
    expected = error.validator_value
    schema = error.schema if isinstance(error.schema, dict) else {}

    if kind == 'not' and path:
        # capsule_schema.FORBIDDEN: a field that is refused by name.
        field = path.pop()
        return path, f"field {_show(field)} is not allowed"
    if kind == 'required':
        missing = [p for p in expected if p not in value]
        field = missing[0] if missing else expected[0]
        return path, f"missing required field {_show(field)}"
    if kind == 'additionalProperties':
        known = schema.get('properties', {})
        extra = sorted((k for k in value if k not in known), key=str)
        names = ', '.join(_show(k) for k in extra)
        return path, (f'unknown field {names}' if len(extra) == 1
                      else f'unknown fields {names}')
    if kind == 'minItems':
        return path, f"must have at least {_plural(expected, 'item')}"

    shown = _show(value)
    if kind == 'type':
        message = f'{shown} is not of type {_types(expected)}'
    elif kind == 'enum':
        choices = ', '.join(_show(c) for c in expected)
        message = f'{shown} is not one of {choices}'
    elif kind == 'minimum':
        message = f'{shown} is less than the minimum of {expected}'
    elif kind == 'maximum':
        message = f'{shown} is greater than the maximum of {expected}'
    elif kind == 'minLength':
        message = (f"{shown} is too short (minimum "
                   f"{_plural(expected, 'character')})")
    elif kind == 'maxLength':
        message = (f"{shown} is too long (maximum "
                   f"{_plural(expected, 'character')})")
    elif kind == 'pattern':
        message = (f'{shown} is not valid' if 'x-hint' in schema
                   else f'{shown} does not match {expected!r}')
    else:  # not used by our schemas; keep jsonschema's words
        message = error.message.splitlines()[0][:200]
    if 'x-hint' in schema:
        message = f"{message}: {schema['x-hint']}"
    return path, message


# --- the validator ----------------------------------------------------------

def _is_number(checker, instance):
    # JSON has no NaN or Infinity, but Python's json module decodes them.
    return (isinstance(instance, numbers.Real)
            and not isinstance(instance, bool)
            and math.isfinite(instance))


def _is_integer(checker, instance):
    return _is_number(checker, instance) and (
        isinstance(instance, numbers.Integral)
        or float(instance).is_integer())


_BaseValidator = jsonschema.Draft7Validator
_Validator = jsonschema.validators.extend(
    _BaseValidator,
    type_checker=_BaseValidator.TYPE_CHECKER.redefine_many(
        {'number': _is_number, 'integer': _is_integer}),
)
_CREATE = _Validator(capsule_schema.CREATE)


def _schema_errors(body):
    out = []
    for error in _CREATE.iter_errors(body):
        path, message = _describe(error)
        out.append((_path_key(path), _RANK.get(error.validator, 9),
                    message, path))
    return out


# --- normal form ------------------------------------------------------------

def _boolean(value):
    if value in capsule_schema.TRUE_STRINGS:
        return True
    if value in capsule_schema.FALSE_STRINGS:
        return False
    return value


def _container(raw):
    c = dict(raw)
    for key in ('command', 'args'):
        if key in c:
            c[key] = list(c[key])
    if 'env' in c:
        c['env'] = dict(c['env'])
    for key in ('stdin', 'tty'):
        if key in c:
            c[key] = _boolean(c[key])
    if 'ports' in c:
        c['ports'] = [dict(p) for p in c['ports']]
    if 'resources' in c:
        res = dict(c['resources'])
        if 'requests' in res:
            res['requests'] = dict(res['requests'])
        c['resources'] = res
    if 'healthcheck' in c:
        c['healthcheck'] = dict(c['healthcheck'])
    if 'volumeMounts' in c:
        mounts = []
        for m in c['volumeMounts']:
            m = dict(m)
            if 'readOnly' in m:
                m['readOnly'] = _boolean(m['readOnly'])
            mounts.append(m)
        c['volumeMounts'] = mounts
    return c


def _volume(raw):
    cinder = dict(raw['cinder'])
    if 'autoRemove' in cinder:
        cinder['autoRemove'] = _boolean(cinder['autoRemove'])
    return {'name': raw['name'], 'cinder': cinder}


def _normalise(template):
    out = {k: v for k, v in template.items() if k not in ('metadata', 'spec')}

    meta = template['metadata']
    out['metadata'] = {}
    for key in ('name', 'labels', 'annotations'):
        if key in meta:
            value = meta[key]
            out['metadata'][key] = (dict(value) if isinstance(value, dict)
                                    else value)

    spec = template['spec']
    new_spec = {'containers': [_container(c) for c in spec['containers']]}
    if 'initContainers' in spec:
        new_spec['initContainers'] = [_container(c)
                                      for c in spec['initContainers']]
    if 'restartPolicy' in spec:
        new_spec['restartPolicy'] = spec['restartPolicy']
    if 'terminationGracePeriodSeconds' in spec:
        new_spec['terminationGracePeriodSeconds'] = spec[
            'terminationGracePeriodSeconds']
    if 'volumes' in spec:
        volumes = spec['volumes']
        new_spec['volumes'] = (None if volumes is None
                               else [_volume(v) for v in volumes])
    out['spec'] = new_spec
    return out


# --- checks beyond the schema -----------------------------------------------

def _all_containers(spec):
    """((path parts, container), ...) for containers then initContainers."""
    for group in ('containers', 'initContainers'):
        for i, c in enumerate(spec.get(group) or ()):
            yield ('template', 'spec', group, i), c


def _strings(value, path):
    """Every string (keys included) in the normalised template, with paths."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,), k
            yield from _strings(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, path + (i,))


def _text_ok(text):
    if '\x00' in text:
        return False
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:  # lone surrogates, e.g. "\ud800"
        return False
    return True


def _docker_errors(cpath, container, host_cpus):
    """(path parts, message) for what Docker would refuse in one container.

    The rules and their sources are in ``heat_capsule.bounds``; paths are
    compared once normalised.
    """
    mounts = container.get('volumeMounts') or ()
    for j, mount in enumerate(mounts):
        problem = bounds.mount_path_problem(mount['mountPath'])
        if problem:
            yield cpath + ('volumeMounts', j, 'mountPath'), problem
    for j, first in bounds.duplicate_paths([m['mountPath'] for m in mounts]):
        yield cpath + ('volumeMounts', j, 'mountPath'), (
            f'{_show(mounts[j]["mountPath"])} is the same path as '
            f'volumeMounts[{first}] of this container once normalised '
            f'({bounds.clean_path(mounts[j]["mountPath"])})')
    for j, parent in bounds.inside_read_only(
            [(m['mountPath'], m.get('readOnly')) for m in mounts]):
        yield cpath + ('volumeMounts', j, 'mountPath'), (
            f'is inside volumeMounts[{parent}] '
            f'({bounds.clean_path(mounts[parent]["mountPath"])}), which is '
            'read-only: Docker cannot create the mount point there')
    workdir = container.get('workDir')
    if workdir:
        problem = bounds.workdir_problem(workdir)
        if problem:
            yield cpath + ('workDir',), problem
    arguments = []
    for key in ('command', 'args'):
        for j, item in enumerate(container.get(key) or ()):
            arguments.append(item)
            problem = bounds.argument_problem(item)
            if problem:
                yield cpath + (key, j), problem
    env = container.get('env') or {}
    for name, value in env.items():
        problem = bounds.env_problem(name, value)
        if problem:
            yield cpath + ('env', name), problem
    problem = bounds.exec_size_problem(arguments, env)
    if problem:
        yield cpath, problem
    cpu = ((container.get('resources') or {}).get('requests') or {}).get(
        'cpu')
    if cpu is not None:
        problem = bounds.cpu_problem(cpu, host_cpus)
        if problem:
            yield cpath + ('resources', 'requests', 'cpu'), problem


def _semantic_errors(template, host_cpus=None):
    """(path parts, message) for every rule a schema cannot express."""
    spec = template['spec']
    volumes = spec.get('volumes') or []

    # Strings the database or Docker cannot store: a NUL character or an
    # unpaired surrogate would otherwise surface as a 500 much later.
    for path, text in _strings(template, ('template',)):
        if not _text_ok(text):
            yield path, ('must be valid text (no NUL characters or unpaired '
                         'surrogates)')

    declared, claimed = {}, {}
    for i, vol in enumerate(volumes):
        vpath = ('template', 'spec', 'volumes', i)
        cinder = vol['cinder']
        if ('volumeID' in cinder) == ('size' in cinder):
            yield vpath + ('cinder',), ('exactly one of volumeID or size is '
                                        'required')
        # autoRemove next to volumeID is accepted and ignored, as in Zun:
        # only volumes the engine creates (from size) are ever removed.
        volume_id = cinder.get('volumeID')
        if volume_id in claimed:
            yield vpath + ('cinder', 'volumeID'), (
                f'volume {volume_id} is already used by '
                f'template.spec.volumes[{claimed[volume_id]}]; a volume '
                'can be attached once per capsule')
        elif volume_id is not None:
            claimed[volume_id] = i
        if vol['name'] in declared:
            yield vpath + ('name',), (
                f"duplicate volume name {_show(vol['name'])} (also "
                f"template.spec.volumes[{declared[vol['name']]}].name)")
        else:
            declared[vol['name']] = i

    for i, init in enumerate(spec.get('initContainers') or ()):
        if 'healthcheck' in init:
            yield ('template', 'spec', 'initContainers', i, 'healthcheck'), (
                'is only supported on app containers: an init container '
                'must exit before the app containers start, so it is never '
                'healthy')

    names = {}
    mounted = set()
    for cpath, container in _all_containers(spec):
        name = container.get('name')
        if name is not None:
            if name in names:
                yield cpath + ('name',), (
                    f'duplicate container name {_show(name)} (also '
                    f'{format_path(names[name])}); container names must '
                    'be unique across containers and initContainers')
            else:
                names[name] = cpath + ('name',)
        for j, mount in enumerate(container.get('volumeMounts') or ()):
            mpath = cpath + ('volumeMounts', j)
            if mount['name'] not in declared:
                yield mpath + ('name',), (
                    f"volume {_show(mount['name'])} is not declared in "
                    'template.spec.volumes')
            mounted.add(mount['name'])
        yield from _docker_errors(cpath, container, host_cpus)

    for i, vol in enumerate(volumes):
        if vol['name'] not in mounted and declared.get(vol['name']) == i:
            yield ('template', 'spec', 'volumes', i, 'name'), (
                f"volume {_show(vol['name'])} is not mounted by any "
                'container or init container')


# --- entry point ------------------------------------------------------------

def _parse_template_string(text):
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        detail = getattr(e, 'msg', None) or 'nested too deeply'
        raise InvalidInput('template', f'is a string but not valid JSON '
                                       f'({detail})') from None


def validate_create_body(body, host_cpus=None):
    """Validate a decoded ``POST /v1/capsules`` body; return the template.

    ``body`` may be any decoded JSON value. ``host_cpus``, when known, is the
    Docker host's CPU count: Docker refuses a container asking for more.
    Returns the template in normal form (see the module docstring). Raises
    ``InvalidInput`` for the first problem, errors being ordered by field
    path so the answer is stable.
    """
    if isinstance(body, dict) and isinstance(body.get('template'), str):
        # Zun accepts the template as a JSON string and validates the
        # parsed value like an inline one; the caller's body is untouched.
        body = dict(body, template=_parse_template_string(body['template']))

    try:
        errors = _schema_errors(body)
    except RecursionError:
        raise InvalidInput('body', 'is nested too deeply') from None
    if errors:
        _key, _rank, message, path = min(errors, key=lambda e: e[:3])
        raise InvalidInput(format_path(path), message)

    template = _normalise(body['template'])
    problems = sorted(((_path_key(p), m, p)
                       for p, m in _semantic_errors(template, host_cpus)),
                      key=lambda e: e[:2])
    if problems:
        _key, message, path = problems[0]
        raise InvalidInput(format_path(path), message)
    return template
