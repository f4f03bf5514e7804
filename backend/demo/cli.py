"""`flask --app backend seed-demo`: create (or complete) the demo school."""

from __future__ import annotations

import click


def register(app) -> None:
    @app.cli.command("seed-demo")
    def seed_demo():
        """Create the demo school, its people and two admins (idempotent)."""
        from backend.demo import seed as demo_seed

        session = app.extensions["kehou"]["sessionmaker"]()
        try:
            demo = demo_seed.seed(session)
            click.echo(
                f"demo school {demo.school.name} ({demo.school.code}, id {demo.school.id}): "
                f"{len(demo.classes)} classes, {len(demo.pupils)} pupils, "
                f"{len(demo.users)} WeChat users; admins {demo_seed.SCHOOL_ADMIN} and "
                f"{demo_seed.PLATFORM_ADMIN} (password {demo_seed.ADMIN_PASSWORD})"
            )
        finally:
            session.close()
