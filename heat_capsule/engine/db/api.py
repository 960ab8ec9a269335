"""The engine's database API.

One ``Database`` per process. sqlite is the embedded default: SQLAlchemy's
pool gives each thread its own connection, WAL lets readers run beside a
writer, and a process-wide lock serialises writers so that 50 concurrent
creates never meet "database is locked" (sqlite allows one writer at a time
and its busy handler does not cover every lock upgrade). PostgreSQL needs
none of that and gets no lock.
"""

import contextlib
import threading
import types

import subprocess
import sys

import orjson
import sqlalchemy as sa
from sqlalchemy import orm

from heat_capsule.engine.db import host_ports
from heat_capsule.engine.db import migrations
from heat_capsule.engine.db import models
from heat_capsule.engine.db import quota as quota_db
from heat_capsule import names

SORT_KEYS = ('id', 'uuid', 'name', 'status', 'created_at', 'updated_at',
             'project_id', 'user_id', 'cpu', 'memory')


# Every capsule column but the stored template, which no view needs.
_LISTED_COLUMNS = [column for column in models.Capsule.__table__.c
                   if column.name != 'template']


def _plain_capsules(session, query):
    """Run a capsule query; return plain read-only records with containers.

    Lists are the API's heaviest call (a thousand capsules per page):
    building ORM objects for them costs more than the query itself, so
    lists read rows and hang each capsule's containers on it, in order.
    The lookups behind GET show (and the other capsule paths) use it too:
    clients poll them, and their cost competes with Docker's own work.
    """
    # Plain Core statements: the connection runs them without the ORM's
    # execution layer, which would only add cost here.
    connection = session.connection()
    rows = connection.execute(query).mappings().all()
    by_capsule = {}
    if rows:
        table = models.Container.__table__
        containers = connection.execute(
            sa.select(table)
            .where(table.c.capsule_id.in_([row['id'] for row in rows]))
            .order_by(table.c.capsule_id, table.c.position)).mappings()
        for container in containers:
            by_capsule.setdefault(container['capsule_id'], []).append(
                types.SimpleNamespace(**container))
    return [types.SimpleNamespace(**row, containers=by_capsule.get(
        row['id'], [])) for row in rows]


class VolumeNotFound(Exception):
    def __init__(self, volume_uuid):
        super().__init__(volume_uuid)
        self.volume_uuid = volume_uuid


class VolumeInUse(Exception):
    def __init__(self, volume_uuid, capsule_uuid):
        super().__init__(volume_uuid)
        self.volume_uuid = volume_uuid
        self.capsule_uuid = capsule_uuid


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA busy_timeout=30000')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.close()


class Database(quota_db.QuotaQueries):
    def __init__(self, url):
        self.url = url
        self.is_sqlite = url.startswith('sqlite')
        # JSON columns are decoded on every list row: orjson does it
        # several times faster than the standard library.
        json_options = {'json_deserializer': orjson.loads}
        if self.is_sqlite:
            self.engine = sa.create_engine(
                url, connect_args={'check_same_thread': False,
                                   'timeout': 30}, **json_options)
            sa.event.listen(self.engine, 'connect', _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(url, pool_size=10,
                                           max_overflow=40,
                                           pool_pre_ping=True,
                                           **json_options)
        self._sessionmaker = orm.sessionmaker(self.engine,
                                              expire_on_commit=False)
        self._write_lock = threading.Lock() if self.is_sqlite else None

    def schema_revision(self):
        """The alembic revision the database is at (None: empty)."""
        with self.engine.connect() as connection:
            if not sa.inspect(connection).has_table('alembic_version'):
                return None
            return connection.execute(sa.text(
                'SELECT version_num FROM alembic_version')).scalar()

    def upgrade(self):
        """Bring the schema to the newest alembic revision.

        The migrations run in a child process: alembic is needed once per
        upgrade, and importing it into the long-running engine would cost
        it memory for good. An up-to-date database costs one query.
        """
        if self.schema_revision() == migrations.HEAD:
            return
        subprocess.run([sys.executable, '-m',
                        'heat_capsule.engine.db.migrations', self.url],
                       check=True)

    @contextlib.contextmanager
    def _reader(self):
        with self._sessionmaker() as session:
            yield session

    @contextlib.contextmanager
    def _writer(self):
        lock = self._write_lock or contextlib.nullcontext()
        with lock, self._sessionmaker() as session, session.begin():
            yield session

    # Capsules ---------------------------------------------------------

    def create_capsule(self, capsule, new_volumes=(), attach_volumes=(),
                       admission=None):
        """Store a new capsule, its containers and volume claims at once.

        ``attach_volumes`` are uuids of existing volumes of the capsule's
        project; each is claimed atomically, so two capsules can never
        attach the same volume. ``admission(session)``, when given, runs
        first in the same transaction (``engine.quota``: quota and
        capacity checks); whatever it raises aborts the create.
        Fixed host ports are claimed the same way (:mod:`host_ports`).

        :raises host_ports.HostPortInUse: a hostPort is another capsule's.
        """
        try:
            self._create_capsule(capsule, new_volumes, attach_volumes,
                                 admission)
        except sa.exc.IntegrityError:
            if not host_ports.wanted(capsule):
                raise
            raise host_ports.first_held(self._reader, capsule)
        return capsule

    def _create_capsule(self, capsule, new_volumes, attach_volumes,
                        admission):
        with self._writer() as session:
            if admission is not None:
                admission(session)
            for volume_uuid in attach_volumes:
                claimed = session.execute(
                    sa.update(models.Volume)
                    .where(models.Volume.uuid == volume_uuid,
                           models.Volume.project_id == capsule.project_id,
                           models.Volume.attached_to.is_(None))
                    .values(attached_to=capsule.uuid))
                if claimed.rowcount != 1:
                    holder = session.scalar(
                        sa.select(models.Volume.attached_to).where(
                            models.Volume.uuid == volume_uuid,
                            models.Volume.project_id == capsule.project_id))
                    if holder is None:
                        raise VolumeNotFound(volume_uuid)
                    raise VolumeInUse(volume_uuid, holder)
            session.add_all(new_volumes)
            session.add(capsule)
            host_ports.claim(session, capsule)

    def get_capsule(self, uuid):
        with self._reader() as session:
            return session.scalar(sa.select(models.Capsule).where(
                models.Capsule.uuid == uuid))

    def find_capsules(self, ident, project_id=None, by_uuid=True):
        """Capsules matching a uuid (or else a name) in a project.

        ``project_id=None`` searches every project (admins).
        """
        column = models.Capsule.uuid if by_uuid else models.Capsule.name
        query = sa.select(*_LISTED_COLUMNS).where(column == ident)
        if project_id is not None:
            query = query.where(models.Capsule.project_id == project_id)
        with self._reader() as session:
            return _plain_capsules(session, query.limit(2))

    def list_capsules(self, project_id=None, limit=1000, marker=None,
                      sort_key='id', sort_dir='asc'):
        """One page of capsules, ordered by sort_key then id.

        ``marker`` is the capsule the previous page ended with.
        """
        column = getattr(models.Capsule, sort_key)
        if sort_key in ('name', 'updated_at'):
            column = sa.func.coalesce(
                column, '' if sort_key == 'name' else
                sa.literal('1970-01-01 00:00:00'))
        id_column = models.Capsule.id
        ascending = sort_dir == 'asc'
        query = sa.select(*_LISTED_COLUMNS)
        if project_id is not None:
            query = query.where(models.Capsule.project_id == project_id)
        if marker is not None:
            marker_value = getattr(marker, sort_key)
            if marker_value is None:
                marker_value = '' if sort_key == 'name' else \
                    '1970-01-01 00:00:00'
            if sort_key == 'id':
                query = query.where((id_column > marker.id) if ascending
                                    else (id_column < marker.id))
            elif ascending:
                query = query.where(sa.or_(
                    column > marker_value,
                    sa.and_(column == marker_value, id_column > marker.id)))
            else:
                query = query.where(sa.or_(
                    column < marker_value,
                    sa.and_(column == marker_value, id_column < marker.id)))
        order = (column.asc(), id_column.asc()) if ascending else \
            (column.desc(), id_column.desc())
        if sort_key == 'id':
            order = order[1:]
        query = query.order_by(*order).limit(limit)
        with self._reader() as session:
            return _plain_capsules(session, query)

    def capsules_to_sync(self):
        """uuids of every capsule the reconciler should look at."""
        with self._reader() as session:
            return list(session.scalars(sa.select(models.Capsule.uuid)))

    def project_has_capsules(self, project_id):
        """Whether `project_id` has any capsule row (any status)."""
        with self._reader() as session:
            return session.scalar(
                sa.select(models.Capsule.id)
                .where(models.Capsule.project_id == project_id)
                .limit(1)) is not None

    def update_capsule(self, uuid, containers=None, if_desired=None,
                       **values):
        """Update a capsule's columns and, optionally, its containers'.

        ``containers`` maps a container uuid to the values to set on it.
        ``if_desired`` makes the update conditional on the capsule's
        desired state (one, or a tuple of them), so an observation can
        never overwrite a delete that arrived meanwhile. Returns False if
        nothing matched.
        """
        with self._writer() as session:
            query = sa.update(models.Capsule).where(
                models.Capsule.uuid == uuid)
            if isinstance(if_desired, tuple):
                query = query.where(
                    models.Capsule.desired_state.in_(if_desired))
            elif if_desired is not None:
                query = query.where(
                    models.Capsule.desired_state == if_desired)
            values.setdefault('updated_at', models.utcnow())
            if session.execute(query.values(**values)).rowcount == 0:
                return False
            for container_uuid, container_values in (containers or
                                                     {}).items():
                container_values.setdefault('updated_at', models.utcnow())
                session.execute(
                    sa.update(models.Container)
                    .where(models.Container.uuid == container_uuid)
                    .values(**container_values))
        return True

    def change_desired_state(self, uuid, desired, if_desired, if_statuses):
        """Set the desired state if it is `if_desired` and the status one
        of `if_statuses` (one conditional UPDATE); False if not.

        Pause and unpause (handlers/pause.py) go through it, so two
        requests racing each other or a delete cannot both win.
        """
        with self._writer() as session:
            query = sa.update(models.Capsule).where(
                models.Capsule.uuid == uuid,
                models.Capsule.desired_state == if_desired,
                models.Capsule.status.in_(if_statuses))
            return session.execute(query.values(
                desired_state=desired,
                updated_at=models.utcnow())).rowcount == 1

    def mark_for_deletion(self, uuid):
        """Ask for a capsule's deletion; False if it was asked already.

        A second DELETE changes nothing: a stop sequence under way keeps
        its deadline and its status_reason (runtime.stopping). A running
        or a paused capsule (issue 19) can be deleted.
        """
        return self.update_capsule(uuid, if_desired=('running', 'paused'),
                                   desired_state='deleted',
                                   status=names.DELETING,
                                   status_reason=None)

    def purge_capsule(self, uuid):
        """Delete a capsule's rows; release or delete its volumes.

        Returns the uuids of auto-remove volumes whose Docker volume must go.
        """
        with self._writer() as session:
            volumes = list(session.scalars(sa.select(models.Volume).where(
                models.Volume.attached_to == uuid)))
            doomed = [v.uuid for v in volumes if v.auto_remove]
            for volume in volumes:
                if volume.auto_remove:
                    session.delete(volume)
                else:
                    volume.attached_to = None
            capsule = session.scalar(sa.select(models.Capsule).where(
                models.Capsule.uuid == uuid))
            if capsule is not None:
                session.delete(capsule)
        return doomed

    # Containers -------------------------------------------------------

    def find_container(self, uuid, project_id=None):
        """A capsule's container (init or app) by its uuid, in a project.

        ``project_id=None`` searches every project (admins).

        :returns: (container, capsule), or None when there is no such
            container in that scope.
        """
        query = (sa.select(models.Container, models.Capsule)
                 .join(models.Capsule,
                       models.Container.capsule_id == models.Capsule.id)
                 .where(models.Container.uuid == uuid))
        if project_id is not None:
            query = query.where(models.Capsule.project_id == project_id)
        with self._reader() as session:
            row = session.execute(query.limit(1)).first()
            return (row[0], row[1]) if row is not None else None

    # Volumes ----------------------------------------------------------

    def volumes_of(self, capsule_uuid):
        with self._reader() as session:
            return list(session.scalars(sa.select(models.Volume).where(
                models.Volume.attached_to == capsule_uuid)))

    def volume_uuids(self):
        with self._reader() as session:
            return set(session.scalars(sa.select(models.Volume.uuid)))

    def list_volumes(self, project_id=None):
        """Every volume of a project (None: of every project), oldest
        first, kept ones whose capsule is gone included."""
        query = sa.select(models.Volume).order_by(models.Volume.id)
        if project_id is not None:
            query = query.where(models.Volume.project_id == project_id)
        with self._reader() as session:
            return list(session.scalars(query))

    def get_volume(self, uuid, project_id=None):
        """The volume `uuid` of a project (None: any), or None."""
        query = sa.select(models.Volume).where(models.Volume.uuid == uuid)
        if project_id is not None:
            query = query.where(models.Volume.project_id == project_id)
        with self._reader() as session:
            return session.scalar(query)

    def delete_volume(self, uuid, project_id=None):
        """Delete the row of a volume no capsule uses, atomically.

        The caller then removes the Docker volume; one left behind (Docker
        down) has no row, and the reconciler's orphan collection removes it.

        :raises VolumeNotFound: no such volume (in that project).
        :raises VolumeInUse: a capsule (live or being deleted) holds it.
        """
        condition = [models.Volume.uuid == uuid]
        if project_id is not None:
            condition.append(models.Volume.project_id == project_id)
        with self._writer() as session:
            deleted = session.execute(sa.delete(models.Volume).where(
                *condition, models.Volume.attached_to.is_(None)))
            if deleted.rowcount == 1:
                return
            holder = session.scalar(sa.select(
                models.Volume.attached_to).where(*condition))
            if holder is None:
                raise VolumeNotFound(uuid)
            raise VolumeInUse(uuid, holder)
