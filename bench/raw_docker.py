"""The same capsules, made directly with the docker SDK: the floor.

What the engine does for a capsule, minus the engine: a sandbox container
on a bridge network owning the network and IPC namespaces, init containers
run one after another to completion, app containers joined to the sandbox,
the same images and limits. The network and the images exist beforehand,
as they do for the engine after its first capsule.
"""

import uuid

# With ``hardened``: what the engine asks Docker for besides the above, by
# hand (its defaults, as ``docker inspect`` shows them on its containers):
# a hostname and a DNS alias on the network for the sandbox, capabilities
# dropped but Docker's usual set for app containers, no new privileges, a
# PID limit, rotated logs, swap as much as memory.
HARDENED = {'cap_drop': ['ALL'], 'security_opt': ['no-new-privileges:true'],
            'pids_limit': 1024, 'shm_size': 64 * 1024 * 1024,
            'log_config': {'Type': 'json-file',
                           'Config': {'max-size': '10m', 'max-file': '3'}}}
APP_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL',
                    'NET_BIND_SERVICE', 'SETGID', 'SETPCAP', 'SETUID',
                    'SYS_CHROOT']


class RawCapsules:
    def __init__(self, client, network, sandbox_image, hardened=False):
        self.client = client
        self.network = network
        self.sandbox_image = sandbox_image
        self.hardened = hardened
        self.label = 'hc-bench-raw-%s' % uuid.uuid4().hex[:8]

    def create(self, template):
        """Run the capsule; return when every app container is running."""
        api = self.client.api
        tag = uuid.uuid4().hex[:12]
        labels = {self.label: tag}
        extra, sandbox_extra, app_extra = {}, {}, {}
        if self.hardened:
            extra = dict(HARDENED)
            hostname = 'capsule-%s' % tag[:8]
            sandbox_extra = {
                'hostname': hostname, 'stop_signal': 'SIGKILL',
                'networking_config': api.create_networking_config({
                    self.network: api.create_endpoint_config(
                        aliases=[hostname])})}
            app_extra = {'cap_add': APP_CAPABILITIES}
        sandbox = api.create_container(
            self.sandbox_image, name='raw-%s' % tag, labels=labels,
            detach=True, host_config=api.create_host_config(
                ipc_mode='shareable', network_mode=self.network,
                restart_policy={'Name': 'unless-stopped'}, **extra),
            **sandbox_extra)
        api.start(sandbox['Id'])
        joined = 'container:%s' % sandbox['Id']

        def run(container, policy):
            requests = (container.get('resources') or {}).get(
                'requests') or {}
            memory = requests['memory'] * 1024 * 1024 \
                if 'memory' in requests else None
            swap = {'memswap_limit': 2 * memory} \
                if memory and self.hardened else {}
            host_config = api.create_host_config(
                network_mode=joined, ipc_mode=joined,
                restart_policy={'Name': policy},
                nano_cpus=int(requests['cpu'] * 1e9) if 'cpu' in requests
                else None,
                mem_limit=memory, **extra, **app_extra, **swap)
            created = api.create_container(
                container['image'], command=container.get('command'),
                labels=labels, detach=True, host_config=host_config,
                environment=['PATH=/bin'] if self.hardened else None)
            api.start(created['Id'])
            return created['Id']

        spec = template['spec']
        for init in spec.get('initContainers', []):
            container_id = run(init, 'no')
            result = api.wait(container_id)
            if result['StatusCode'] != 0:
                raise RuntimeError('init container failed')
        for app in spec['containers']:
            run(app, 'always')
        return tag

    def delete(self, tag, stop_timeout=None):
        """Remove the capsule's containers, the sandbox last; with
        `stop_timeout`, ``docker stop`` the app containers first (their
        stop signal, up to that many seconds, SIGKILL), as the engine's
        graceful delete does."""
        entries = self.client.api.containers(
            all=True, filters={'label': '%s=%s' % (self.label, tag)})
        entries.sort(key=lambda entry: entry['Names'][0].startswith(
            '/raw-'))
        if stop_timeout is not None:
            for entry in entries:
                if not entry['Names'][0].startswith('/raw-'):
                    self.client.api.stop(entry['Id'], timeout=stop_timeout)
        for entry in entries:
            self.client.api.remove_container(entry['Id'], force=True)

    def delete_all(self):
        for entry in self.client.api.containers(
                all=True, filters={'label': self.label}):
            self.client.api.remove_container(entry['Id'], force=True)
