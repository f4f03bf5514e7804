"""A burst of threads larger than the Redis pool waits for a connection, never fails."""

from __future__ import annotations

import threading


def test_burst_beyond_the_pool_waits(app, requires_redis):
    client = app.extensions["kehou"]["redis"]
    assert client.connection_pool.max_connections == 200
    errors = []
    barrier = threading.Barrier(250)

    def go():
        barrier.wait()
        try:
            for _ in range(3):
                client.blpop("kehou-test-nothing", timeout=0.05)
        except Exception as exc:  # any failure is the bug
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(250)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
