"""`flask --app backend worker`: delivers the outbox (RQ on Redis, plus a database sweep)."""

from __future__ import annotations

import click


def register(app) -> None:
    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Deliver what is due, then exit.")
    @click.option("--poll", default=5.0, show_default=True, help="Seconds between sweeps.")
    def worker(burst, poll):
        """Send queued WeChat messages with retries and backoff."""
        from backend.notifications.worker import run

        run(burst=burst, poll_seconds=poll)
