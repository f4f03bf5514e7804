"""`flask --app backend payments sweep|reconcile`: the WeChat Pay jobs."""

from __future__ import annotations

import json
from datetime import date, timedelta

import click


def register(app) -> None:
    @app.cli.group("payments")
    def payments():
        """WeChat Pay jobs."""

    @payments.command("sweep")
    def sweep():
        """Query orders with no notification, close expired ones, (re)send refunds and ask
        for their outcome. Safe to run every minute."""
        from backend.payments.jobs import sweep as run

        click.echo(json.dumps(run(), ensure_ascii=False))

    @payments.command("reconcile")
    @click.option("--date", "day", default=None, help="Bill date YYYY-MM-DD (default: yesterday)")
    def reconcile(day):
        """Compare WeChat Pay's trade bill of a day with our payments and refunds; the
        differences are stored and printed. Exit status 1 when there are differences."""
        from backend.common.clock import today
        from backend.payments.reconcile import reconcile as run

        bill_date = date.fromisoformat(day) if day else today() - timedelta(days=1)
        result = run(bill_date)
        click.echo(json.dumps(result, ensure_ascii=False, default=str, indent=2))
        if result["differences"]:
            raise SystemExit(1)
