"""The reconciler's pure parts: the keyed queue and status derivation."""

import threading
import time
import types

from heat_capsule.engine.runtime import spec as rspec
from heat_capsule.engine.runtime import status as status_rules
from heat_capsule.engine.runtime import workqueue


def test_a_queued_key_is_not_queued_twice():
    queue = workqueue.KeyedQueue()
    queue.submit('a')
    queue.submit('a')
    queue.submit('b')
    assert [queue.get(), queue.get()] == ['a', 'b']
    assert queue.idle() is False
    queue.done('a')
    queue.done('b')
    assert queue.idle()


def test_a_key_submitted_while_active_is_synced_again_after():
    queue = workqueue.KeyedQueue()
    queue.submit('a')
    assert queue.get() == 'a'
    queue.submit('a')          # an event during the sync
    queue.submit('a')
    assert queue.idle() is False
    queue.done('a')
    assert queue.get() == 'a'   # exactly one more sync
    queue.done('a')
    assert queue.idle()


def test_delayed_submission_arrives_later():
    queue = workqueue.KeyedQueue()
    queue.submit_later('late', 0.2)
    start = time.monotonic()
    assert queue.get() == 'late'
    assert time.monotonic() - start >= 0.15


def test_close_wakes_waiting_workers():
    queue = workqueue.KeyedQueue()
    got = []
    worker = threading.Thread(target=lambda: got.append(queue.get()))
    worker.start()
    queue.close()
    worker.join(2)
    assert got == [None]


def row(uuid, name, role='app'):
    return types.SimpleNamespace(uuid=uuid, name=name, role=role)


def state(status, exit_code=None):
    return rspec.ContainerState(docker_id='d', role='app',
                                container_uuid=None, status=status,
                                exit_code=exit_code)


ROWS = {'1': row('1', 'web'), '2': row('2', 'side'),
        '0': row('0', 'init', role='init')}
SANDBOX = state('Running')


def derive(**observed):
    observed = {k.lstrip('_'): v for k, v in observed.items()}
    return status_rules.derive_status(None, ROWS, observed)


def test_all_running_is_running():
    assert derive(sandbox=SANDBOX, _1=state('Running'),
                  _2=state('Running')) == ('Running', None)


def test_a_missing_sandbox_is_an_error():
    status, reason = derive(_1=state('Running'), _2=state('Running'))
    assert status == 'Error' and 'sandbox' in reason


def test_a_container_removed_out_of_band_is_named():
    status, reason = derive(sandbox=SANDBOX, _1=state('Running'))
    assert status == 'Error' and 'side' in reason


def test_restarting_wins_over_running():
    status, reason = derive(sandbox=SANDBOX, _1=state('Running'),
                            _2=state('Restarting'))
    assert status == 'Restarting' and 'side' in reason


def test_one_finished_one_running_is_running():
    assert derive(sandbox=SANDBOX, _1=state('Running'),
                  _2=state('Stopped', 0))[0] == 'Running'


def test_all_exited_cleanly_is_stopped():
    status, reason = derive(sandbox=SANDBOX, _1=state('Stopped', 0),
                            _2=state('Stopped', 0))
    assert status == 'Stopped' and 'web exited with code 0' in reason


def test_a_failed_exit_is_an_error_with_the_code():
    status, reason = derive(sandbox=SANDBOX, _1=state('Stopped', 0),
                            _2=state('Stopped', 2))
    assert status == 'Error' and 'side exited with code 2' in reason
