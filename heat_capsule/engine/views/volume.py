"""Volumes the engine made, as ``/v1/volumes`` shows them (engine extension).

A volume: ``{"uuid", "name", "size", "auto_remove", "capsule_uuid",
"project_id", "created_at"}``; ``name`` is the spec volume name it was
created under (null for volumes made before the engine recorded it),
``size`` the GiB asked for (recorded, not enforced), ``capsule_uuid`` the
capsule using it now or null when it is free (kept after its capsule was
deleted), ``created_at`` in Zun's ``YYYY-MM-DD HH:MM:SS[.ffffff]`` form.
"""


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
