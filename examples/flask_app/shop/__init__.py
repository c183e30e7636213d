"""A small Flask shop that announces its orders as webhooks: the outbox on Flask-SQLAlchemy's session.

Its tables come from `flask --app shop init-db`, the outbox's from `hooks outbox migrate`; gunicorn serves it with
`gunicorn 'shop:create_app()'` (README.md beside this package).
"""

from __future__ import annotations

import click
from flask import Flask

from shop.models import db
from shop.views import bp


def create_app(config: object = "config.Config") -> Flask:
    """The application factory (gunicorn: `'shop:create_app()'`)."""
    app = Flask(__name__)
    app.config.from_object(config)
    db.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(init_db)
    return app


@click.command("init-db")
def init_db() -> None:
    """Create the shop's tables (the outbox's come from `hooks outbox migrate`)."""
    db.create_all()
    click.echo("created the shop's tables")
