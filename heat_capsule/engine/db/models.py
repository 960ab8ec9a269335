"""Tables of the engine: capsules, their containers, and volumes.

A capsule row holds the desired state (the validated template, split into
columns) and the last observed state (status, addresses); the reconciler
moves the second towards the first.
"""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(orm.DeclarativeBase):
    type_annotation_map = {dict: sa.JSON, list: sa.JSON}


class TimestampMixin:
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        sa.DateTime, default=utcnow, nullable=False)
    updated_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime, onupdate=utcnow, nullable=True)


class Capsule(TimestampMixin, Base):
    __tablename__ = 'capsules'
    # Quota and capacity sums read this index alone (db.quota).
    __table_args__ = (sa.Index('ix_capsules_usage', 'project_id', 'cpu',
                               'memory'),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36), unique=True)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255),
                                                     index=True)
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                    index=True)
    user_id: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    labels: orm.Mapped[dict] = orm.mapped_column(default=dict)
    annotations: orm.Mapped[dict] = orm.mapped_column(default=dict)
    restart_policy: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    availability_zone: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(255))
    cpu: orm.Mapped[float] = orm.mapped_column(default=0.0)
    memory: orm.Mapped[int] = orm.mapped_column(default=0)
    # 'running' while the capsule should exist, 'deleted' once asked to go,
    # 'paused' while it should be frozen (runtime/freezer.py).
    desired_state: orm.Mapped[str] = orm.mapped_column(
        sa.String(16), default='running', index=True)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    status_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    addresses: orm.Mapped[dict] = orm.mapped_column(default=dict)
    hostname: orm.Mapped[str | None] = orm.mapped_column(sa.String(63))
    # spec volume name -> engine volume uuid
    volume_map: orm.Mapped[dict] = orm.mapped_column(default=dict)
    # spec.terminationGracePeriodSeconds (None: the engine's default when
    # the capsule is deleted), and the moment its delete kills what is
    # still running: set once, when the stop signals went out, so neither
    # an engine restart nor a second DELETE extends it.
    termination_grace_period: orm.Mapped[int | None] = orm.mapped_column()
    stop_deadline: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    # The request as validated; kept for reference, never needed to serve
    # or sync a capsule, so it is not loaded unless asked for.
    template: orm.Mapped[dict] = orm.mapped_column(default=dict,
                                                   deferred=True)

    containers: orm.Mapped[list['Container']] = orm.relationship(
        back_populates='capsule', order_by='Container.position',
        cascade='all, delete-orphan', passive_deletes=True,
        lazy='selectin')


class Container(TimestampMixin, Base):
    __tablename__ = 'containers'

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36), unique=True)
    capsule_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey('capsules.id', ondelete='CASCADE'), index=True)
    role: orm.Mapped[str] = orm.mapped_column(sa.String(8))  # init | app
    position: orm.Mapped[int] = orm.mapped_column()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    image: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    command: orm.Mapped[list] = orm.mapped_column(default=list)
    environment: orm.Mapped[dict] = orm.mapped_column(default=dict)
    workdir: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    ports: orm.Mapped[list] = orm.mapped_column(default=list)
    mounts: orm.Mapped[list] = orm.mapped_column(default=list)
    cpu: orm.Mapped[float | None] = orm.mapped_column()
    memory: orm.Mapped[int | None] = orm.mapped_column()
    tty: orm.Mapped[bool] = orm.mapped_column(default=False)
    interactive: orm.Mapped[bool] = orm.mapped_column(default=False)
    image_pull_policy: orm.Mapped[str] = orm.mapped_column(
        sa.String(16), default='ifnotpresent')
    status: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    status_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    status_detail: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    exit_code: orm.Mapped[int | None] = orm.mapped_column()
    # The configured check ({cmd, interval, timeout, retries, start_period})
    # or None; then what Docker last said: starting | healthy | unhealthy,
    # and the output of the latest probe when it failed.
    healthcheck: orm.Mapped[dict | None] = orm.mapped_column(sa.JSON)
    health_status: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    health_output: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    # What Docker's inspect said of the latest run (naive UTC times):
    # status_detail and uptime are computed from these when read.
    started_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    finished_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(
        sa.DateTime)
    restart_count: orm.Mapped[int | None] = orm.mapped_column()
    oom_killed: orm.Mapped[bool | None] = orm.mapped_column()

    capsule: orm.Mapped[Capsule] = orm.relationship(
        back_populates='containers')


class Volume(TimestampMixin, Base):
    """A Docker named volume the engine made for a capsule's spec volume."""
    __tablename__ = 'volumes'

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36), unique=True)
    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                    index=True)
    # the spec volume name it was created under (None before 0004)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    size: orm.Mapped[float | None] = orm.mapped_column()
    auto_remove: orm.Mapped[bool] = orm.mapped_column(default=False)
    # uuid of the live capsule using it, or None when free
    attached_to: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), index=True)


class LimitMixin(TimestampMixin):
    """One limit: a quota resource and its hard limit (-1: unlimited)."""
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    resource: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    hard_limit: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)


class Quota(LimitMixin, Base):
    """A project's own limit for one quota resource (Zun's quotas table)."""
    __tablename__ = 'quotas'
    __table_args__ = (sa.UniqueConstraint('project_id', 'resource'),)

    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                    index=True)


class QuotaClass(LimitMixin, Base):
    """A quota class's limit for one resource; the class named 'default'
    replaces the configured defaults (Zun's quota_classes table)."""
    __tablename__ = 'quota_classes'
    __table_args__ = (sa.UniqueConstraint('class_name', 'resource'),)

    class_name: orm.Mapped[str] = orm.mapped_column(sa.String(255),
                                                    index=True)


class AdmissionLock(Base):
    """One row per scope whose admissions must not interleave.

    A create updates the 'host' row first: the row lock (PostgreSQL) or
    the write lock it takes (sqlite) serialises quota and capacity checks
    with the inserts they admit, across threads and processes.
    """
    __tablename__ = 'admission_locks'

    name: orm.Mapped[str] = orm.mapped_column(sa.String(64),
                                              primary_key=True)
    generation: orm.Mapped[int] = orm.mapped_column(sa.BigInteger,
                                                    default=0)


class HostPort(Base):
    """A fixed host port (ports[].hostPort) a capsule publishes on.

    Held from the create until the capsule's row goes (ON DELETE CASCADE);
    the unique (port, protocol) makes two capsules' claims exclusive, also
    between concurrent creates.
    """
    __tablename__ = 'host_ports'
    __table_args__ = (sa.UniqueConstraint('port', 'protocol',
                                          name='uq_host_ports_port'),)

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    capsule_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey('capsules.id', ondelete='CASCADE'), index=True)
    port: orm.Mapped[int] = orm.mapped_column()
    protocol: orm.Mapped[str] = orm.mapped_column(sa.String(3))  # tcp|udp
