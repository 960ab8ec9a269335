"""Reading a capsule for OS::Zun::Capsule's attributes and failure reasons.

A mixin of the resource: ``_resolve_attribute`` answers every attribute
from one GET of the capsule (``endpoints`` from the engine's extension,
``volumes`` from ``GET /capsules/{id}/volumes``, ``logs`` from each
container's logs), with the template's container names (by position,
``template.relate_containers``); ``_last_lines`` quotes the logs of the
containers a failure names. Reading an attribute never fails the stack:
a service without the call (Zun) gives the attribute's empty value.
"""

from oslo_log import log as logging

from heat_capsule.heat import endpoints
from heat_capsule.heat import template as tmpl
from heat_capsule.heat import verdict

LOG = logging.getLogger(__name__)


class AttributesMixin:
    """Needs the resource's ``client()``, ``properties``, ``resource_id``,
    its attribute names, ``_EMPTY_ATTRIBUTES``, ``LOG_LINES``,
    ``FAILURE_LOG_LINES`` and ``VOLUME_KEYS``."""

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
