"""The app's view of the runner: the connector endpoints a run's network is opened for."""

import threading
import time

from webapp.runner.network import Endpoint
from webapp.runner.service import endpoints_changed, get_runner, pool_for, set_endpoint_loader


def test_runs_starting_together_never_get_a_network_for_stale_endpoints(app):
    """A fresh worker's first runs arrive at once: none may start before the connectors'
    endpoints are read (it would find its DataKit connector refused)."""
    reads = []

    def slow_loader():
        reads.append(1)
        time.sleep(0.3)
        return [("127.0.0.1", 45678)]

    set_endpoint_loader(app, slow_loader)
    pool_for(app.extensions["funcpad.sandbox_config"]).set_endpoints([])  # none read yet
    endpoints_changed(app)
    seen = []
    barrier = threading.Barrier(4)

    def first_run():
        barrier.wait()
        seen.append(get_runner(app).endpoints)

    threads = [threading.Thread(target=first_run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [(Endpoint("127.0.0.1", 45678),)] * 4
    assert len(reads) == 1  # one caller read them; the others waited for it
