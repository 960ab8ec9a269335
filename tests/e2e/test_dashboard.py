"""The all-in-one's dashboard in a real browser: Horizon, heat-dashboard and
zun-ui against Keystone, Heat and the engine.

``bash tools/allinone.sh dashboard`` serves the dashboard on
http://127.0.0.1:8080 (HC_ALLINONE_DASHBOARD_PORT); Debian's chromium and
chromium-driver (tools/setup-host.sh) drive it headless through selenium.
One browser session walks what a user does: log in as the demo user and
land on the stacks list (no Nova needed), launch a stack from a templates/
file and see it reach Create Complete, open its topology (the capsule's
node) and the OS::Zun::Capsule resource-type page, find the capsule in
zun-ui's Capsules panel and its detail page, and delete the stack from the
dashboard.

Screenshots and the page's HTML go to HEAT_CAPSULE_ARTIFACTS (default
/tmp/heat-capsule-artifacts)/dashboard when a step fails; two screenshots
(the topology and the capsule's detail page) are kept on success too.
Skipped when the dashboard or chromium is missing, failed instead when
HEAT_CAPSULE_E2E=1 (tools/run-tests.sh starts the dashboard in the
background and sets HEAT_CAPSULE_E2E_DASHBOARD_WAIT, the seconds to wait
for it to answer).
"""

import glob
import os
import shutil
import sys
import time
import urllib.request

from heatclient import exc as heat_exc

from tests.e2e import base

DASHBOARD_URL = os.environ.get(
    'HEAT_CAPSULE_E2E_DASHBOARD_URL',
    'http://127.0.0.1:%s' % os.environ.get('HC_ALLINONE_DASHBOARD_PORT',
                                           '8080'))
ARTIFACTS = os.path.join(
    os.environ.get('HEAT_CAPSULE_ARTIFACTS', '/tmp/heat-capsule-artifacts'),
    'dashboard')
# selenium's own venv (tools/setup-browser.sh): never in Heat's environment.
BROWSER_VENV = os.environ.get('HEAT_CAPSULE_BROWSER_VENV',
                              '/opt/heat-capsule/browser-venv')
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CHROMEDRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'
TEMPLATE = os.path.join(base.TEMPLATES_DIR, 'minimal.yaml')
WAIT = 60           # seconds a page element may take (the suite is loaded)


def _dashboard_answers():
    try:
        with urllib.request.urlopen(DASHBOARD_URL + '/auth/login/',
                                    timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def _import_webdriver():
    """selenium.webdriver from the browser venv's site-packages, appended
    to sys.path (this process's own packages keep precedence).  Importing
    selenium.webdriver does not import trio."""
    for site in glob.glob(os.path.join(
            BROWSER_VENV, 'lib', 'python%d.%d' % sys.version_info[:2],
            'site-packages')):
        if site not in sys.path:
            sys.path.append(site)
    from selenium import webdriver
    return webdriver


class DashboardTest(base.HeatCapsuleTest):
    """One headless chromium per class, logged in as the demo user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        missing = [path for path in (CHROMIUM, CHROMEDRIVER)
                   if not os.access(path, os.X_OK)]
        if missing:
            base._unavailable('%s missing (tools/setup-host.sh installs '
                              'chromium and chromium-driver)'
                              % ', '.join(missing))
        # tools/run-tests.sh starts the dashboard in the background: wait
        # for it until its start-up job is done (its log says how it went).
        start_log = os.environ.get('HEAT_CAPSULE_E2E_DASHBOARD_LOG')
        deadline = time.monotonic() + float(
            os.environ.get('HEAT_CAPSULE_E2E_DASHBOARD_WAIT', '0'))
        while not _dashboard_answers() and time.monotonic() < deadline:
            if start_log and os.path.exists(start_log + '.done'):
                break
            time.sleep(2)
        if not _dashboard_answers():
            tail = ''
            if start_log and os.path.exists(start_log):
                with open(start_log) as handle:
                    tail = '; its start-up said: ' + handle.read()[-2000:]
            base._unavailable('no dashboard at %s (bash tools/allinone.sh '
                              'dashboard)%s' % (DASHBOARD_URL, tail))
        try:
            webdriver = _import_webdriver()
        except ImportError as exc:
            base._unavailable('selenium: %s (bash tools/setup-browser.sh)'
                              % exc)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ('--headless=new', '--no-sandbox',
                         '--disable-dev-shm-usage', '--disable-gpu',
                         '--window-size=1400,1000'):
            options.add_argument(argument)
        cls.browser = webdriver.Chrome(
            options=options,
            service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
        cls.browser.set_page_load_timeout(WAIT)

    @classmethod
    def tearDownClass(cls):
        browser = getattr(cls, 'browser', None)
        if browser is not None:
            browser.quit()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.addOnException(self._save_artifacts)

    # -- helpers -------------------------------------------------------------

    def _save_artifacts(self, exc_info=None, label='failure'):
        """A screenshot and the HTML of the current page; their paths."""
        os.makedirs(ARTIFACTS, exist_ok=True)
        stem = os.path.join(ARTIFACTS, '%s-%s' % (
            self.id().rsplit('.', 1)[-1], label))
        self.browser.save_screenshot(stem + '.png')
        with open(stem + '.html', 'w') as handle:
            handle.write(self.browser.page_source)
        return stem + '.png'

    def css(self, selector, timeout=WAIT):
        """The first visible element matching ``selector``, waited for."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait
        return WebDriverWait(self.browser, timeout).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, selector)),
            'no visible %r on %s' % (selector, self.browser.current_url))

    def wait_until(self, probe, what, timeout=WAIT):
        from selenium.webdriver.support.ui import WebDriverWait
        return WebDriverWait(self.browser, timeout, poll_frequency=0.5).until(
            lambda _browser: probe(), 'timed out waiting for %s on %s'
            % (what, self.browser.current_url))

    def _hover_shows_the_capsule(self):
        """Hover the capsule's node; whether its info box then shows
        OS::Zun::Capsule.  Hovered again at each try: the topology's force
        layout moves the nodes for a while after the page loads, so one
        hover can land where the node no longer is (seen under load)."""
        from selenium.common import exceptions
        from selenium.webdriver import ActionChains
        from selenium.webdriver.common.by import By
        try:
            node = self.css(
                '#heat_resource_topology svg g.node #image_capsule')
            ActionChains(self.browser).move_to_element(node).perform()
            return any(box.is_displayed() and 'OS::Zun::Capsule' in box.text
                       for box in self.browser.find_elements(
                           By.CSS_SELECTOR, '#info_box'))
        except exceptions.StaleElementReferenceException:
            return False

    def open(self, path):
        self.browser.get(DASHBOARD_URL + path)

    def login(self, cloud=base.CLOUD):
        auth, _region = base.cloud_auth(cloud)
        self.browser.delete_all_cookies()
        self.open('/auth/login/')
        self.css('#id_username').send_keys(auth['username'])
        self.css('#id_password').send_keys(auth['password'])
        self.css('#loginBtn').click()
        # The landing page is the stacks list (HORIZON_CONFIG['user_home']),
        # not the Compute overview, which needs Nova.
        self.wait_until(lambda: self.browser.current_url.endswith(
            '/project/stacks/'), 'the landing page after login')
        self.css('#stacks')
        # No Nova panel in the menu to land on by mistake.
        self.assertNotIn('Instances', self.css('#sidebar').get_attribute(
            'textContent'))

    def stack_row(self, stack_id):
        from selenium.webdriver.common.by import By
        rows = self.browser.find_elements(
            By.CSS_SELECTOR, 'tr[data-object-id="%s"]' % stack_id)
        return rows[0] if rows else None

    # -- the walk ----------------------------------------------------------

    def test_stack_with_a_capsule_through_the_dashboard(self):
        marks = [('start', time.monotonic())]

        def mark(step):
            marks.append((step, time.monotonic()))
        self.login()
        mark('login')
        name = self._stack_rand_name()

        # Launch Stack, template from a file of templates/.
        self.open('/project/stacks/select_template')
        # The native <select> hides behind Horizon's themable dropdown.
        self.browser.execute_script(
            "$('#id_template_source').val('file').change();")
        self.css('#id_template_upload').send_keys(TEMPLATE)
        self.css('input.btn-primary[type=submit]').click()
        self.css('#id_stack_name').send_keys(name)
        self.css('input.btn-primary[type=submit]').click()
        self.wait_until(lambda: self.client.stacks.list(
            filters={'name': name}), 'the stack %s in Heat' % name)
        self.addCleanup(self._stack_delete, name)
        stack = self.client.stacks.get(name, resolve_outputs=False)

        # Create Complete in Heat, then in the stacks list.
        self._wait_for_stack_status('%s/%s' % (name, stack.id),
                                    'CREATE_COMPLETE')
        self.open('/project/stacks/')
        self.css('#stacks')
        row_text = self.stack_row(stack.id).text
        self.assertIn(name, row_text)
        self.assertIn('Create Complete', row_text)
        mark('launch')

        # Its topology: a node for the capsule resource, OS::Zun::Capsule.
        self.open('/project/stacks/stack/%s/?tab=stack_details__topology'
                  % stack.id)
        self.wait_until(self._hover_shows_the_capsule,
                        "the capsule's info box")
        nodes = self.browser.execute_script(
            "return d3.selectAll('#heat_resource_topology g.node').data()"
            ".map(function (d) { return [d.name, d.info_box]; });")
        capsule_nodes = [info for node_name, info in nodes
                         if node_name == 'capsule']
        self.assertEqual(1, len(capsule_nodes), nodes)
        self.assertIn('OS::Zun::Capsule', capsule_nodes[0])
        self.assertIn('Create Complete', capsule_nodes[0])
        topology_png = self._save_artifacts(label='topology')
        mark('topology')

        # Its resources tab names the type too.
        self.open('/project/stacks/stack/%s/?tab=stack_details__resources'
                  % stack.id)
        self.assertIn('OS::Zun::Capsule', self.css('#resources').text)

        # The Orchestration panels that need Heat's policy checks open for
        # the demo user (Horizon 26.0.0 answered 403 here: see
        # allinone/dashboard/requirements.txt).
        for path, title in (('/project/resource_types/', 'Resource Types'),
                            ('/project/template_versions/',
                             'Template Versions')):
            self.open(path)
            self.assertIn(title, self.css('.page-header').text)
            self.assertEqual(DASHBOARD_URL + path, self.browser.current_url)

        # The resource-type page: OS::Zun::Capsule's properties.
        self.open('/project/resource_types/OS::Zun::Capsule/')
        details = self.css('.detail').text
        self.assertIn('OS::Zun::Capsule', details)
        for prop in ('containers', 'init_containers', 'volumes',
                     'restart_policy'):
            self.assertIn(prop, details)
        mark('resource types')

        # zun-ui's Capsules panel lists the capsule; its detail page shows it.
        capsule_id = self.get_physical_resource_id(name, 'capsule')
        self.open('/project/container/capsules')
        self.wait_until(lambda: capsule_id in self.css('table').text,
                        'capsule %s in the Capsules panel' % capsule_id)
        self.open('/ngdetails/OS::Zun::Capsule/%s' % capsule_id)
        self.wait_until(
            lambda: capsule_id in self.css('.detail-page, body').text
            and 'Running' in self.css('body').text,
            'the capsule detail page')
        detail_png = self._save_artifacts(label='capsule-detail')
        mark('capsules')

        # Delete the stack from the stacks list (row action, confirmed).
        self.open('/project/stacks/')
        row = self.stack_row(stack.id)
        row.find_element('css selector', '.themable-checkbox label').click()
        self.css('#stacks__action_delete').click()
        self.css('.modal-footer .btn-danger').click()

        def gone():
            try:
                current = self.client.stacks.get(stack.id,
                                                 resolve_outputs=False)
            except heat_exc.HTTPNotFound:
                return True
            if current.stack_status == 'DELETE_FAILED':
                raise AssertionError(current.stack_status_reason)
            return current.stack_status == 'DELETE_COMPLETE'
        self.wait_until(gone, 'the stack deleted', timeout=120)
        self.assert_capsule_gone(capsule_id)
        # The list no longer shows it (or, for the moment Heat still lists
        # a stack it has just deleted, shows it Delete Complete).
        self.open('/project/stacks/')
        self.css('#stacks')
        row = self.stack_row(stack.id)
        if row is not None:
            self.assertIn('Delete Complete', row.text)
        mark('delete')
        print('dashboard walk (s): %s; screenshots %s, %s' % (
            ', '.join('%s %.1f' % (step, at - before) for (_s, before), (
                step, at) in zip(marks, marks[1:])),
            topology_png, detail_png))
