"""OS::Zun::Capsule: a Zun capsule, a pod-like group of containers.

The resource is mostly declarations. The property names and the mapping onto
the capsule template live in ``heat_capsule.heat.template``; the client
plugin (microversion, endpoint) in ``heat_capsule.heat.client``. This module
does not import zunclient itself, so importing it never fails for a missing
client library: ``available_resource_mapping()`` decides instead.
"""

import time

from oslo_log import log as logging
from oslo_utils import importutils

from heat.common import exception
from heat.common.i18n import _
from heat.engine import clients
from heat.engine import constraints
from heat.engine import function
from heat.engine import properties
from heat.engine import resource
from heat.engine import rsrc_defn
from heat.engine import support

from heat_capsule import names
from heat_capsule.heat import attributes as attributes_mod
from heat_capsule.heat import container_properties
from heat_capsule.heat import features
from heat_capsule.heat import polling
from heat_capsule.heat import rules
from heat_capsule.heat import suspend
from heat_capsule.heat import template as tmpl
from heat_capsule.heat import verdict

LOG = logging.getLogger(__name__)


RESOURCE_TYPE = 'OS::Zun::Capsule'


class Capsule(suspend.SuspendResumeMixin, polling.ServiceCallsMixin,
              attributes_mod.AttributesMixin, resource.Resource):
    """A Zun capsule: a group of containers sharing one network namespace.

    A capsule is Zun's counterpart of a Kubernetes pod. Its containers get
    the capsule's addresses and reach each other on localhost. Init
    containers, if any, run one after another, each to completion, before
    the containers start. Volumes are declared once on the capsule and
    mounted into the containers that name them.

    The capsule is created through the "container" service of the Keystone
    catalog: a real Zun, or the Zun-compatible engine bundled with
    heat-capsule. On delete the resource waits until the capsule is gone.

    When it is CREATE_COMPLETE ("started"). Every app container must be
    either running, never restarted, for at least "[clients_zun_capsule]
    stable_seconds" of heat.conf (default 1 s) of its current run, as the
    service's own clock says (its "uptime"; with a service that does not
    report it, such as Zun, from the first reading that showed it running),
    or finished: exited with code 0 under restart_policy Never or OnFailure
    (a job: the exit_codes attribute shows the codes). The resource fails
    as soon as an app container exits with any other code (code 0 under
    Always too), is restarted by its restart policy, is killed for
    exceeding its memory, or the capsule goes to Error; the reason names
    each such container, its exit code, its restart count and its last
    log lines. A single reading of a container that exits a moment after
    its start therefore never completes the resource. The same rule
    decides after an update's replacement, and for "stack check"
    (CHECK_COMPLETE; there only restarts seen during the check count).

    Zun has no API to modify a capsule, so changing any property replaces
    the capsule: a new one is created and the old one is deleted.

    Timeouts. The stack's timeout (timeout_mins) is the limit of a create or
    delete. If the service cannot be reached (connection refused or timed
    out, HTTP 502/503/504), the request that starts a create or delete fails
    the resource at once, with the endpoint and the error. While a create or
    delete waits for the capsule, a service that becomes unreachable (a
    restart) is polled again until it has been unreachable for
    "[clients_zun_capsule] unreachable_timeout" seconds of heat.conf
    (default 120); the resource then fails with "The container service at
    <url> has been unreachable for N s: <error>". A capsule still Creating
    or Deleting, or a service still unreachable, 5 s before the stack's
    timeout fails the resource with that reason instead of Heat's bare
    "Timed out". One request may take "[clients_zun_capsule]
    request_timeout" seconds (default 60) before it counts as timed out.

    Readiness. With created_when "healthy", the resource is complete only
    once, in addition, every container with a healthcheck reports healthy
    (an extension of the heat-capsule engine; Zun has no healthcheck in
    capsules), so resources that depend on it start after the service is
    ready.

    Kept volumes. A volume created from size without auto_remove outlives
    the capsule and its stack; the "volumes" attribute gives its id, which
    a later capsule passes as volume_id to attach it again. On the
    heat-capsule engine such a volume is listed and deleted with
    GET/DELETE /v1/volumes (engine extension).

    Graceful delete. Deleting (or replacing) the capsule gives its
    containers their stop signal and up to termination_grace_period seconds
    to exit before they are killed (the heat-capsule engine; a real Zun
    kills at once). The delete waits that long at most, as one still
    Deleting: validation refuses a grace period the stack's timeout leaves
    no room for, and a delete still waiting near the timeout fails with the
    capsule's reason ("Stopping: sent SIGTERM to ...").

    Suspend and resume. Stack suspend pauses the capsule's containers
    (Docker's freezer) and completes once the capsule is Paused; resume
    unpauses them and completes once it is Running. This is an extension
    of the heat-capsule engine; against a real Zun, which cannot pause a
    capsule, the suspend fails saying so.

    Endpoints. ports[].host_port publishes a port on that port of the
    container host (the bundled engine honours it, Zun ignores it); the
    "endpoints" attribute lists where every declared port is published
    (an engine extension: empty against Zun), e.g. for a URL output built
    with yaql (templates/webserver.yaml).

    Zun and the engine alike. Engine extensions are used only when the
    service advertises them (``heat_capsule.heat.features``); containers
    are related to the template's by position, never by name (Zun renames
    them), and the containers attributes carry each one's "template_name".
    """

    support_status = support.SupportStatus(
        version='27.0.0',
        status=support.UNSUPPORTED,
        message=_('Provided by the heat-capsule plugin, not by the Heat '
                  'project.'))

    default_client_name = tmpl.CLIENT_NAME

    entity = 'capsules'

    PROPERTIES = (
        NAME, LABELS, ANNOTATIONS, RESTART_POLICY, AVAILABILITY_ZONE,
        CONTAINERS, INIT_CONTAINERS, VOLUMES, CREATED_WHEN,
        TERMINATION_GRACE_PERIOD,
    ) = tmpl.PROPERTIES

    # A wait for stability shorter than this is slept within one poll
    # (Heat polls every second), so it adds no more than it must.
    STABLE_WAIT_MAX = 1.0

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Name of the capsule. Defaults to a name made from the stack '
              'and resource names.'),
            constraints=container_properties.name_constraints(),
        ),
        LABELS: properties.Schema(
            properties.Schema.MAP,
            _('Labels of the capsule: key/value pairs, stored as strings.'),
        ),
        ANNOTATIONS: properties.Schema(
            properties.Schema.MAP,
            _('Annotations of the capsule: key/value pairs stored with it; '
              'values are sent as strings, like labels, so the template '
              'works on both Zun and the heat-capsule engine.'),
        ),
        RESTART_POLICY: properties.Schema(
            properties.Schema.STRING,
            _('What to do when a container exits.'),
            default=names.DEFAULT_RESTART_POLICY,
            constraints=[constraints.AllowedValues(names.RESTART_POLICIES)],
        ),
        AVAILABILITY_ZONE: properties.Schema(
            properties.Schema.STRING,
            _('Availability zone in which to run the capsule.'),
            constraints=[constraints.Length(min=1, max=255)],
        ),
        CONTAINERS: properties.Schema(
            properties.Schema.LIST,
            _('The containers of the capsule; at least one. They start '
              'once every init container has finished.'),
            required=True,
            constraints=[constraints.Length(min=1)],
            schema=container_properties.container_schema(
                _('A container of the capsule.')),
        ),
        INIT_CONTAINERS: properties.Schema(
            properties.Schema.LIST,
            _('Containers that run one after another, each to completion, '
              'before the containers start.'),
            schema=container_properties.container_schema(
                _('An init container of the capsule.'), init=True),
        ),
        CREATED_WHEN: properties.Schema(
            properties.Schema.STRING,
            _('When the resource is CREATE_COMPLETE, and so when resources '
              'that depend on it start: "started" once the capsule is '
              'Running; "healthy" once, in addition, every container with '
              'a healthcheck reports healthy (the resource fails with the '
              'check\'s output if one turns unhealthy). "healthy" needs at '
              'least one healthcheck.'),
            default=tmpl.CREATED_STARTED,
            constraints=[constraints.AllowedValues(
                tmpl.CREATED_WHEN_VALUES)],
        ),
        TERMINATION_GRACE_PERIOD: properties.Schema(
            properties.Schema.INTEGER,
            _('Seconds the containers get to shut down when the capsule is '
              'deleted (or replaced): each gets its stop signal (the '
              'image\'s STOPSIGNAL, else SIGTERM), and what still runs '
              'after this long is killed. 0 kills at once. Unset: the '
              'service\'s default (10 s on the heat-capsule engine, whose '
              'operator also sets the largest value allowed). An extension '
              'of the heat-capsule engine (Kubernetes\' '
              'terminationGracePeriodSeconds); a real Zun ignores it. The '
              'delete waits for it, so it must fit in the stack\'s '
              'timeout.'),
            constraints=[constraints.Range(min=0, max=86400)],
        ),
        VOLUMES: properties.Schema(
            properties.Schema.LIST,
            _('Volumes the containers can mount. Each is either a new '
              'volume of the given size or an existing volume given by '
              'volume_id (a Cinder volume on Zun). Every volume must be '
              'mounted by at least one container.'),
            schema=properties.Schema(
                properties.Schema.MAP,
                schema={
                    tmpl.VOLUME_NAME: properties.Schema(
                        properties.Schema.STRING,
                        _('Name of the volume, unique within the capsule; '
                          'volume_mounts refer to it.'),
                        required=True,
                        constraints=container_properties.name_constraints(),
                    ),
                    tmpl.VOLUME_SIZE: properties.Schema(
                        properties.Schema.INTEGER,
                        _('Size in GiB of a new volume to create. Exactly '
                          'one of size and volume_id must be given.'),
                        constraints=[constraints.Range(min=1)],
                    ),
                    tmpl.VOLUME_ID: properties.Schema(
                        properties.Schema.STRING,
                        _('UUID of an existing volume to use. Exactly one '
                          'of size and volume_id must be given.'),
                        constraints=[constraints.Length(min=36, max=36)],
                    ),
                    tmpl.VOLUME_AUTO_REMOVE: properties.Schema(
                        properties.Schema.BOOLEAN,
                        _('Whether a volume created from size is deleted '
                          'with the capsule. The service keeps it by '
                          'default; existing volumes are never deleted.'),
                    ),
                },
            ),
        ),
    }

    # -- validation -------------------------------------------------------

    def _invalid(self, path, message):
        section = self.stack.t.get_section_name(rsrc_defn.PROPERTIES)
        return exception.StackValidationFailed(
            error=_('Property error'),
            path=[self.stack.t.RESOURCES, self.t.name, section] + path,
            message=message)

    def _unresolved(self, path, leaf_only=False):
        """Whether the raw value at ``path`` is still an intrinsic function.

        At validation time ``get_attr`` of a resource that does not exist
        yet resolves to None (or '' for a string); such a value is unknown,
        not missing. ``leaf_only``: a function around the value (an ``if``
        choosing a whole volume, say) does not count; the resolved value
        says what it chose.
        """
        value = self.properties.data
        for key in path:
            if isinstance(value, function.Function):
                return not leaf_only
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return False
        return isinstance(value, function.Function)

    def validate(self):
        """Check the rules that span properties (``heat_capsule.heat.rules``
        says which); nothing is created."""
        super().validate()
        room = (self.stack.timeout_secs(),
                self.stack.timeout_secs() - self.TIMEOUT_MARGIN)
        for kind, path, detail in rules.problems(self.properties,
                                                 self._unresolved, room):
            if kind == rules.CONFLICT:
                raise exception.ResourcePropertyConflict(*detail)
            if kind == rules.UNSPECIFIED:
                raise exception.PropertyUnspecifiedError(*detail)
            raise self._invalid(path, detail)

    # -- lifecycle --------------------------------------------------------

    def _default_name(self):
        return tmpl.safe_name(self.physical_resource_name(),
                              self.physical_resource_name_limit)

    def handle_create(self):
        template = tmpl.build_template(self.properties,
                                       default_name=self._default_name())
        self._fit_to_service(template)
        capsule = self._start(self.client().capsules.create,
                              template=template)
        self.resource_id_set(capsule.uuid)
        return capsule.uuid

    def _fit_to_service(self, template):
        """Leave out or refuse what the service does not offer.

        See ``heat_capsule.heat.features``: one GET / per create.
        """
        plugin = self.client_plugin()
        try:
            offered = features.advertised(self.client())
        except Exception as exc:
            if plugin.is_unreachable(exc):
                raise plugin.unreachable_error(exc) from exc
            LOG.info('%(rsrc)s: no extensions read from the container '
                     'service: %(error)s', {'rsrc': self, 'error': exc})
            offered = frozenset()
        try:
            left_out = features.adapt(
                template, offered, healthy_gate=self.properties[
                    self.CREATED_WHEN] == tmpl.CREATED_HEALTHY)
        except features.Unsupported as exc:
            raise exception.Error(str(exc))
        if left_out:
            LOG.warning('%(rsrc)s: the container service does not offer '
                        '%(fields)s (heat-capsule engine extensions); '
                        'left out of the request.',
                        {'rsrc': self, 'fields': ', '.join(left_out)})

    _create_checked = False

    def check_create_complete(self, capsule_id):
        first, self._create_checked = not self._create_checked, True
        return self._complete(
            capsule_id, in_progress_wait=self.FIRST_CHECK_WAIT if first else 0)

    def _complete(self, capsule_id, baseline=None, in_progress_wait=0):
        """Poll the capsule and apply the rule (see heat_capsule.heat.verdict
        and the class docstring): True when complete, False to wait; a
        failure raises ResourceInError naming the containers at fault.
        ``in_progress_wait``: seconds to read a capsule still in progress
        again (polling.ServiceCallsMixin.FIRST_CHECK_WAIT)."""
        # Containers named as in the template (a real Zun renames them; see
        # template.relate_containers), so reasons, the health gate and the
        # stability clock speak of the names the template author wrote.
        capsule = self._poll_in_progress(capsule_id, in_progress_wait)
        if capsule is None:
            return False
        capsule = tmpl.template_named(self.properties, capsule)
        found = self._judge(capsule, baseline)
        if (found.outcome == verdict.WAIT and found.retry_in is not None
                and found.retry_in <= self.STABLE_WAIT_MAX):
            time.sleep(found.retry_in)
            capsule = self._poll(capsule_id)
            if capsule is None:
                return False
            capsule = tmpl.template_named(self.properties, capsule)
            found = self._judge(capsule, baseline)
        if found.outcome == verdict.COMPLETE:
            return True
        if found.outcome == verdict.WAIT:
            self._fail_if_out_of_time(
                capsule if capsule.get('status') in verdict.IN_PROGRESS
                else dict(capsule, status_reason=found.reason))
            return False
        raise exception.ResourceInError(
            resource_status=capsule.get('status'),
            status_reason=_('Capsule "%(name)s" failed: %(reason)s')
            % {'name': self.name,
               # The service's words cut to a readable length; the log
               # lines quoted (FAILURE_LOG_LINES of each failing container)
               # get a budget of their own.
               'reason': features.shorten(found.reason) + features.shorten(
                   self._last_lines(capsule, found.failing),
                   4 * features.REASON_MAX)})

    _running_seen = None   # {name: monotonic time first seen running}

    def _judge(self, capsule, baseline):
        healthy_wanted = (self.properties[self.CREATED_WHEN]
                          == tmpl.CREATED_HEALTHY)
        healthchecked, unreported = verdict.healthchecked(
            self.properties, capsule) if healthy_wanted else ((), None)
        if unreported is not None:
            raise exception.Error(
                _('Capsule "%(name)s": the container service does not '
                  'report the healthcheck of container %(container)s; '
                  'created_when "healthy" needs the heat-capsule engine '
                  '(Zun has no healthcheck in capsules).')
                % {'name': self.name, 'container': unreported})
        self._running_seen = self._running_seen or {}
        return verdict.judge(
            capsule, restart_policy=self.properties[self.RESTART_POLICY],
            healthchecked=healthchecked,
            stable_seconds=self.client_plugin().stable_seconds(),
            baseline=baseline, ages=verdict.running_ages(
                self._running_seen, capsule, time.monotonic()))

    def handle_delete(self):
        """Request deletion; the token remembers the status before it.

        Deletion is asynchronous. If the capsule was not in Error before and
        goes to Error afterwards, the service failed to delete it.
        """
        if self.resource_id is None:
            return None
        with self.client_plugin().ignore_not_found:
            capsule = self._start(self.client().capsules.get,
                                  self.resource_id)
            self._start(self.client().capsules.delete, self.resource_id)
            return self.resource_id, capsule.to_dict().get('status')
        return None

    def check_delete_complete(self, token):
        if not token:
            return True
        capsule_id, status_before = token
        try:
            capsule = self._poll(capsule_id)
        except exception.EntityNotFound:
            return True
        except Exception as exc:
            self.client_plugin().ignore_not_found(exc)
            return True
        if capsule is None:
            return False
        if (capsule.get('status') == names.ERROR
                and status_before != names.ERROR):
            raise exception.ResourceInError(
                resource_status=names.ERROR,
                status_reason=_('Capsule "%(name)s" could not be deleted: '
                                '%(reason)s')
                % {'name': self.name, 'reason': features.shorten(
                    capsule.get('status_reason'))})
        self._fail_if_out_of_time(capsule)
        return False

    def handle_check(self):
        """Read the capsule; its restart counts are the check's baseline."""
        self._running_seen = None
        capsule = self.client().capsules.get(self.resource_id)
        if capsule is None:
            raise exception.EntityNotFound(entity='Capsule',
                                           name=self.resource_id)
        return verdict.restart_counts(
            tmpl.template_named(self.properties, capsule.to_dict()))

    def check_check_complete(self, baseline):
        return self._complete(self.resource_id, baseline=baseline)


def resource_mapping():
    return {RESOURCE_TYPE: Capsule}


def available_resource_mapping():
    """The mapping Heat registers: empty when a dependency is missing.

    The type needs python-zunclient and the ``zun_capsule`` client plugin,
    which the ``heat.clients`` entry point registers once the heat-capsule
    distribution is installed. Without either, the type is not offered and
    heat-engine starts normally.
    """
    if importutils.try_import('zunclient.client') is None:
        LOG.warning('%s is not available: python-zunclient cannot be '
                    'imported.', RESOURCE_TYPE)
        return {}
    clients.initialise()
    if not clients.has_client(tmpl.CLIENT_NAME):
        LOG.warning('%(type)s is not available: the Heat client plugin '
                    '"%(client)s" is not registered (is the heat-capsule '
                    'distribution installed?).',
                    {'type': RESOURCE_TYPE, 'client': tmpl.CLIENT_NAME})
        return {}
    return resource_mapping()
