"""Volumes, as the engine's extensions show them.

``/v1/volumes`` (:func:`volume`, :func:`volume_list`):

A volume: ``{"uuid", "name", "size", "auto_remove", "capsule_uuid",
"project_id", "created_at"}``; ``name`` is the spec volume name it was
created under (null for volumes made before the engine recorded it),
``size`` the GiB asked for (recorded, not enforced), ``capsule_uuid`` the
capsule using it now or null when it is free (kept after its capsule was
deleted), ``created_at`` in Zun's ``YYYY-MM-DD HH:MM:SS[.ffffff]`` form.

``/v1/capsules/{id}/volumes`` (:func:`capsule_volumes`): ``{"volumes":
[{"name", "id", "size", "auto_remove"}]}``, one per spec volume of the
capsule, sorted by name; ``id`` is what ``cinder.volumeID`` takes to attach
a kept volume to a later capsule; ``size`` (as stored) and ``auto_remove``
are null when the volume row is gone.

``VOLUME_SCHEMA``, ``VOLUME_LIST_SCHEMA`` and ``CAPSULE_VOLUMES_SCHEMA``
describe them (OpenAPI 3.0 schema objects), for the OpenAPI document.
"""


VOLUME_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'description': 'A Docker volume the engine made for a capsule (engine '
                   'extension); it outlives its capsule unless it was '
                   'auto-removed.',
    'required': ['uuid', 'name', 'size', 'auto_remove', 'capsule_uuid',
                 'project_id', 'created_at'],
    'properties': {
        'uuid': {'type': 'string', 'format': 'uuid'},
        'name': {'type': 'string', 'nullable': True},
        'size': {'type': 'number', 'nullable': True,
                 'description': 'GiB asked for (not enforced).'},
        'auto_remove': {'type': 'boolean'},
        'capsule_uuid': {'type': 'string', 'nullable': True,
                         'description': 'The capsule using it; null when '
                                        'it is free.'},
        'project_id': {'type': 'string'},
        'created_at': {'type': 'string'},
    },
}

VOLUME_LIST_SCHEMA = {
    'type': 'object', 'required': ['volumes'],
    'properties': {'volumes': {
        'type': 'array', 'items': VOLUME_SCHEMA}},
}

CAPSULE_VOLUMES_SCHEMA = {
    'type': 'object', 'required': ['volumes'],
    'properties': {'volumes': {'type': 'array', 'items': {
        'type': 'object', 'additionalProperties': False,
        'required': ['name', 'id', 'size', 'auto_remove'],
        'properties': {
            'name': {'type': 'string'},
            'id': {'type': 'string'},
            'size': {'type': 'integer', 'nullable': True},
            'auto_remove': {'type': 'boolean', 'nullable': True}}}}},
}


def _size(value):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def volume(row):
    return {
        'uuid': row.uuid,
        'name': row.name,
        'size': _size(row.size),
        'auto_remove': bool(row.auto_remove),
        'capsule_uuid': row.attached_to,
        'project_id': row.project_id,
        'created_at': str(row.created_at),
    }


def volume_list(rows):
    return {'volumes': [volume(row) for row in rows]}


def capsule_volumes(capsule, rows):
    """The volumes of ``capsule`` (its ``volume_map``); ``rows``: its
    volume rows (db ``volumes_of``)."""
    by_uuid = {row.uuid: row for row in rows}
    volumes = []
    for name, volume_uuid in sorted((capsule.volume_map or {}).items()):
        row = by_uuid.get(volume_uuid)
        volumes.append({
            'name': name, 'id': volume_uuid,
            'size': row.size if row else None,
            'auto_remove': row.auto_remove if row else None})
    return {'volumes': volumes}
