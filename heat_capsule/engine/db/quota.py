"""Database side of quotas: limit rows, usage counts, the admission lock.

``QuotaQueries`` is mixed into ``db.api.Database``. Usage is always counted
from the rows that hold it (never kept in counters that could drift):

* ``containers``: init and app container rows of the project's capsules;
* ``cpu`` / ``memory``: the project's capsules' totals (CPUs, MiB), which
  already include the configured default requests;
* ``disk``: sizes (GiB) of the project's volumes, kept ones included.

A capsule counts until its rows are purged (so also while ``Deleting``:
Docker still holds it). ``admission_session`` opens the write transaction a
create runs in, after taking the admission lock, so the counts it reads
cannot change until the create commits or rolls back.
"""

import sqlalchemy as sa

from heat_capsule.engine.db import models

HOST_LOCK = 'host'


def limit_rows(session, model, owner_column, owner):
    rows = session.execute(
        sa.select(model.resource, model.hard_limit)
        .where(owner_column == owner))
    return {resource: limit for resource, limit in rows}


def _set_limits(session, model, owner_column, owner, values):
    existing = {row.resource: row for row in session.scalars(
        sa.select(model).where(owner_column == owner))}
    for resource, limit in values.items():
        row = existing.get(resource)
        if row is None:
            session.add(model(**{owner_column.key: owner,
                                 'resource': resource,
                                 'hard_limit': limit}))
        else:
            row.hard_limit = limit
            row.updated_at = models.utcnow()


def lock_admissions(session):
    """Take the admission lock for the rest of ``session``'s transaction.

    An UPDATE of the lock row: PostgreSQL holds the row lock until commit
    (other creates wait, then read what was committed); sqlite takes its
    database write lock, which also keeps other processes out.
    """
    locked = session.execute(
        sa.update(models.AdmissionLock)
        .where(models.AdmissionLock.name == HOST_LOCK)
        .values(generation=models.AdmissionLock.generation + 1))
    if locked.rowcount == 0:   # the row migration 0003 made is gone
        session.add(models.AdmissionLock(name=HOST_LOCK, generation=1))
        session.flush()


def project_usage(session, project_id,
                  resources=('containers', 'cpu', 'memory', 'disk')):
    """{'containers': int, 'cpu': float, 'memory': int, 'disk': float},
    counting only ``resources`` (the others are 0): a create skips the
    ones its project has no limit on. Index-only on both databases
    (``ix_capsules_usage``, ``ix_containers_capsule_id``,
    ``ix_volumes_project_id``)."""
    capsules = models.Capsule.__table__.c
    containers = models.Container.__table__.c
    volumes = models.Volume.__table__.c
    usage = {'containers': 0, 'cpu': 0.0, 'memory': 0, 'disk': 0.0}
    if 'containers' in resources:
        usage['containers'] = int(session.scalar(
            sa.select(sa.func.count(containers.id))
            .select_from(models.Container.__table__.join(
                models.Capsule.__table__,
                containers.capsule_id == capsules.id))
            .where(capsules.project_id == project_id)) or 0)
    if 'cpu' in resources or 'memory' in resources:
        cpu, memory = session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(capsules.cpu), 0),
                      sa.func.coalesce(sa.func.sum(capsules.memory), 0))
            .where(capsules.project_id == project_id)).one()
        usage.update(cpu=float(cpu or 0), memory=int(memory or 0))
    if 'disk' in resources:
        usage['disk'] = float(session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(volumes.size), 0))
            .where(volumes.project_id == project_id)) or 0)
    return usage


def host_usage(session):
    """(CPUs, MiB) requested by every capsule of this engine."""
    capsules = models.Capsule.__table__.c
    cpu, memory = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(capsules.cpu), 0),
                  sa.func.coalesce(sa.func.sum(capsules.memory), 0))).one()
    return float(cpu or 0), int(memory or 0)


class QuotaQueries:
    """Quota rows and usage (needs ``_reader``/``_writer`` of Database)."""

    def project_quotas(self, project_id):
        """The project's own limits: {resource: limit}, only those set."""
        with self._reader() as session:
            return limit_rows(session, models.Quota,
                              models.Quota.project_id, project_id)

    def set_project_quotas(self, project_id, values):
        with self._writer() as session:
            lock_admissions(session)
            _set_limits(session, models.Quota, models.Quota.project_id,
                        project_id, values)

    def delete_project_quotas(self, project_id):
        with self._writer() as session:
            lock_admissions(session)
            session.execute(sa.delete(models.Quota).where(
                models.Quota.project_id == project_id))

    def class_quotas(self, class_name):
        """A quota class's limits: {resource: limit}, only those set."""
        with self._reader() as session:
            return limit_rows(session, models.QuotaClass,
                              models.QuotaClass.class_name, class_name)

    def set_class_quotas(self, class_name, values):
        with self._writer() as session:
            lock_admissions(session)
            _set_limits(session, models.QuotaClass,
                        models.QuotaClass.class_name, class_name, values)

    def project_usage(self, project_id):
        with self._reader() as session:
            return project_usage(session, project_id)
