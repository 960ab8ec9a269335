"""Reading a capsule for OS::Zun::Capsule's attributes and failure reasons.

A mixin of the resource: ``_resolve_attribute`` answers every attribute
from one GET of the capsule (``endpoints`` from the engine's extension,
``volumes`` from ``GET /capsules/{id}/volumes``, ``logs`` from each
container's logs), with the template's container names (by position,
``template.relate_containers``); ``_last_lines`` quotes the logs of the
containers a failure names. Reading an attribute never fails the stack:
a service without the call (Zun) gives the attribute's empty value.
"""

from heat.common.i18n import _
from heat.engine import attributes
from oslo_log import log as logging

from heat_capsule.heat import endpoints
from heat_capsule.heat import template as tmpl
from heat_capsule.heat import verdict

LOG = logging.getLogger(__name__)


class AttributesMixin:
    """The resource's attributes: names, schema and reading. Needs the
    resource's ``client()``, ``properties`` and ``resource_id``."""

    ATTRIBUTES = (
        ADDRESSES_ATTR, STATUS_ATTR, STATUS_REASON_ATTR, CONTAINERS_ATTR,
        INIT_CONTAINERS_ATTR, CPU_ATTR, MEMORY_ATTR, NAME_ATTR, LABELS_ATTR,
        ANNOTATIONS_ATTR, LOGS_ATTR, VOLUMES_ATTR, EXIT_CODES_ATTR,
        ENDPOINTS_ATTR,
    ) = (
        'addresses', 'status', 'status_reason', 'containers',
        'init_containers', 'cpu', 'memory', 'name', 'labels',
        'annotations', 'logs', 'volumes', 'exit_codes', 'endpoints',
    )

    # Lines of each container's log the "logs" attribute shows.
    LOG_LINES = 50
    # What the "volumes" attribute keeps of each volume the engine reports.
    VOLUME_KEYS = ('name', 'id', 'size', 'auto_remove')
    # Lines of a failing container's log a failure reason quotes.
    FAILURE_LOG_LINES = 10

    attributes_schema = {
        ADDRESSES_ATTR: attributes.Schema(
            _('Addresses of the capsule, keyed by network ID; each a list '
              'of maps with "addr", "version", "port" and "subnet_id". '
              'Empty until the capsule has been wired to a network.'),
            type=attributes.Schema.MAP,
        ),
        STATUS_ATTR: attributes.Schema(
            _('Status of the capsule: Creating, Created, Running, Stopped, '
              'Error or Deleting.'),
            type=attributes.Schema.STRING,
        ),
        STATUS_REASON_ATTR: attributes.Schema(
            _('Why the capsule is in its status, typically the error '
              'message when the status is Error.'),
            type=attributes.Schema.STRING,
        ),
        CONTAINERS_ATTR: attributes.Schema(
            _('The containers of the capsule as the service reports them, '
              'in template order: maps with "uuid", "name", "image", '
              '"status", "status_reason" and more, plus "template_name", '
              'the name the template gave it (a real Zun renames capsule '
              'containers "capsule-<capsule name>-<word>-<n>", so select '
              'by "template_name" or by position, not by "name").'),
            type=attributes.Schema.LIST,
        ),
        INIT_CONTAINERS_ATTR: attributes.Schema(
            _('The init containers of the capsule, in the same form as '
              '"containers".'),
            type=attributes.Schema.LIST,
        ),
        CPU_ATTR: attributes.Schema(
            _('Virtual CPUs of the capsule, a number such as 0.5: the sum '
              'over its containers, or the largest init container\'s value '
              'if that is higher.'),
        ),
        MEMORY_ATTR: attributes.Schema(
            _('Memory of the capsule in MiB, computed like "cpu".'),
            type=attributes.Schema.INTEGER,
        ),
        NAME_ATTR: attributes.Schema(
            _('Name of the capsule.'),
            type=attributes.Schema.STRING,
        ),
        LABELS_ATTR: attributes.Schema(
            _('Labels of the capsule.'),
            type=attributes.Schema.MAP,
        ),
        ANNOTATIONS_ATTR: attributes.Schema(
            _('Annotations of the capsule.'),
            type=attributes.Schema.MAP,
        ),
        LOGS_ATTR: attributes.Schema(
            _('What the containers and init containers printed: a map of '
              'container name to its last 50 lines (stdout and stderr), '
              'read from the service when the attribute is read. A '
              'container whose log cannot be read maps to "".'),
            type=attributes.Schema.MAP,
            cache_mode=attributes.Schema.CACHE_NONE,
        ),
        VOLUMES_ATTR: attributes.Schema(
            _('The volumes of the capsule: a list of maps with "name" (as '
              'in the volumes property), "id", "size" and "auto_remove". '
              'A volume that is not auto-removed outlives the capsule: '
              'pass its id as volume_id to attach it to another capsule. '
              'Empty against a service without the volumes extension '
              '(Zun).'),
            type=attributes.Schema.LIST,
        ),
        EXIT_CODES_ATTR: attributes.Schema(
            _('The latest exit code of each container and init container, '
              'by name; null for one that has not exited (a job capsule '
              'shows its results here).'),
            type=attributes.Schema.MAP,
            cache_mode=attributes.Schema.CACHE_NONE,
        ),
        ENDPOINTS_ATTR: attributes.Schema(
            _('Where the declared ports are published on the container '
              'host: maps with "container", "container_port", "protocol", '
              '"host_ip" and "host_port", read from the service when the '
              'attribute is read (an ephemeral host port can change when '
              'the host restarts). Empty against a service without this '
              'heat-capsule engine extension (Zun).'),
            type=attributes.Schema.LIST,
            cache_mode=attributes.Schema.CACHE_NONE,
        ),
    }

    # What an attribute resolves to when there is no capsule (not created
    # yet, or deleted behind Heat's back).
    _EMPTY_ATTRIBUTES = {
        ADDRESSES_ATTR: dict, STATUS_ATTR: str, STATUS_REASON_ATTR: str,
        CONTAINERS_ATTR: list, INIT_CONTAINERS_ATTR: list,
        CPU_ATTR: lambda: None, MEMORY_ATTR: lambda: None, NAME_ATTR: str,
        LABELS_ATTR: dict, ANNOTATIONS_ATTR: dict, LOGS_ATTR: dict,
        VOLUMES_ATTR: list,
        EXIT_CODES_ATTR: dict,
        ENDPOINTS_ATTR: list,
    }

    def _last_lines(self, capsule, names):
        """'; last log lines of <name>:\n...' for each named container."""
        text = ''
        for container in capsule.get('containers') or []:
            if container.get('name') not in names:
                continue
            try:
                lines = self.client().containers.logs(
                    container['uuid'], stdout=True, stderr=True,
                    tail=self.FAILURE_LOG_LINES, timestamps=False,
                    since=None)
            except Exception as exc:
                LOG.debug('%(rsrc)s: no log for %(name)s: %(error)s',
                          {'rsrc': self, 'name': container.get('name'),
                           'error': exc})
                continue
            lines = (lines or '').strip()
            name = container['name']
            text += ('; last log lines of %s:\n%s' % (name, lines) if lines
                     else '; %s printed nothing' % name)
        return text

    def _resolve_attribute(self, name):
        empty = self._EMPTY_ATTRIBUTES[name]()
        if self.resource_id is None:
            return empty
        if name == self.ENDPOINTS_ATTR:
            return endpoints.fetch(self.client(), self.resource_id)
        try:
            capsule = self.client().capsules.get(self.resource_id)
        except Exception as exc:
            self.client_plugin().ignore_not_found(exc)
            return empty
        if name == self.LOGS_ATTR:
            return self._logs(capsule.to_dict()) if capsule else empty
        if name == self.VOLUMES_ATTR:
            return self._volumes() if capsule else empty
        if name == self.EXIT_CODES_ATTR:
            if not capsule:
                return empty
            view = capsule.to_dict()
            template_names = {
                found.get('name'): template_name
                for _key, template_name, _declared, found
                in tmpl.relate_containers(self.properties, view)}
            return {template_names.get(service_name, service_name): code
                    for service_name, code
                    in verdict.exit_codes(view).items()}
        if name in (self.CONTAINERS_ATTR, self.INIT_CONTAINERS_ATTR):
            return [dict(found, template_name=template_name)
                    for key, template_name, _declared, found
                    in tmpl.relate_containers(self.properties,
                                              capsule.to_dict())
                    if key == name] if capsule else empty
        value = capsule.to_dict().get(name) if capsule else None
        if value is None:
            return empty
        if name == self.MEMORY_ATTR:
            # Zun reports memory as a string of MiB, e.g. "512".
            try:
                return int(value)
            except (TypeError, ValueError):
                return value
        return value

    def _logs(self, capsule):
        """{template name: its last LOG_LINES lines}, init ones included.

        Keyed by the template's names (by position, see
        ``template.relate_containers``), so the keys are the same on Zun.
        """
        logs = {}
        for _key, name, _declared, container in tmpl.relate_containers(
                self.properties, capsule):
            try:
                text = self.client().containers.logs(
                    container['uuid'], stdout=True, stderr=True,
                    tail=self.LOG_LINES, timestamps=False, since=None)
            except Exception as exc:
                # Gone, not created yet, or a service without capsule logs
                # (Zun): an attribute read must not fail the stack.
                LOG.debug('%(rsrc)s: no log for %(name)s: %(error)s',
                          {'rsrc': self, 'name': container.get('name'),
                           'error': exc})
                text = ''
            logs[name] = text or ''
        return logs

    def _volumes(self):
        """[{name, id, size, auto_remove}] of the capsule's volumes.

        heat-capsule-engine's extension ``GET /capsules/{id}/volumes``;
        [] when the service has none (Zun answers 404) or the call fails:
        reading an attribute must not fail the stack.
        """
        try:
            _resp, body = self.client().capsules.api.json_request(
                'GET', '/capsules/%s/volumes' % self.resource_id)
        except Exception as exc:
            LOG.debug('%(rsrc)s: no volumes: %(error)s',
                      {'rsrc': self, 'error': exc})
            return []
        volumes = body.get('volumes') if isinstance(body, dict) else None
        return [{key: item.get(key) for key in self.VOLUME_KEYS}
                for item in volumes or () if isinstance(item, dict)]

    def _resolve_any_attribute(self, attr):
        value = super()._resolve_any_attribute(attr)
        if value is None and attr == self.SHOW:
            return {}
        return value
