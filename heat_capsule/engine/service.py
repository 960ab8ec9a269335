"""What the API handlers share: configuration, database, policy, runtime.

The handlers reach Docker only through ``Services.docker()``: the runtime's
driver, or in an API-only process one this wiring makes on first use. No
handler builds a driver.
"""

import dataclasses
import threading

from heat_capsule.engine import conf as conf_mod
from heat_capsule.engine.db import api as db_api
from heat_capsule.engine import host
from heat_capsule.engine import policies


class DetachedRuntime:
    """Stands in for the runtime when this process only serves the API.

    Another engine process with ``[runtime] enabled = true`` on the same
    database picks the capsules up on its periodic resync.
    """

    def submit(self, capsule_uuid):
        pass


@dataclasses.dataclass
class Services:
    conf: object
    db: object
    enforcer: object
    runtime: object
    host: object = None     # host.HostCPUs of the runtime's Docker host
    # The driver of an API-only process (see docker()).
    _own_driver: object = dataclasses.field(default=None, repr=False)
    _driver_lock: object = dataclasses.field(
        default_factory=threading.Lock, repr=False)

    def docker(self):
        """The Docker driver the API reads through: container logs,
        published ports, removing a deleted volume.

        The runtime's own driver when this process runs one; otherwise
        (``[runtime] enabled = false``, a ``DetachedRuntime``) a driver made
        from ``[runtime]``/``[isolation]`` on first use and kept, which
        runs no reconciler and watches no events. Making it needs the
        docker SDK, only then.
        """
        driver = getattr(self.runtime, 'driver', None)
        if driver is not None:
            return driver
        with self._driver_lock:
            if self._own_driver is None:
                self._own_driver = make_driver(self.conf)
            return self._own_driver


def make_services(conf, runtime=None, db=None):
    db = db or db_api.Database(conf_mod.database_url(conf))
    services = Services(conf=conf, db=db,
                        enforcer=policies.make_enforcer(conf),
                        runtime=runtime or DetachedRuntime())
    services.host = host.HostCPUs(lambda: services.runtime)
    return services


def make_driver(conf):
    # Imported here so that an API-only process needs no docker SDK.
    from heat_capsule.engine.runtime.docker import driver as docker_driver
    from heat_capsule.engine.runtime import limits
    from heat_capsule.engine.runtime import security

    return docker_driver.DockerDriver(
        conf.runtime.docker_url, conf.runtime.sandbox_image,
        conf.runtime.network_name, instance=conf.runtime.instance_name,
        publish_host=conf.runtime.publish_address,
        subnet_pool=conf.isolation.subnet_pool,
        subnet_prefix=conf.isolation.subnet_prefix,
        security_profile=security.from_conf(conf),
        limits=limits.ContainerLimits.from_conf(conf))


def make_runtime(conf, db):
    """The Docker driver and the reconciler for one engine process."""
    from heat_capsule.engine.runtime import reconciler

    return reconciler.Reconciler(conf, db, make_driver(conf))
