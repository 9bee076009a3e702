"""Command-line commands: ``flask --app webapp create-user`` / ``create-token``."""

from __future__ import annotations

import getpass

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import User
from webapp.services import users as user_service
from webapp.services.errors import ServiceError


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--admin", is_flag=True, help="Give the user admin rights.")
@click.option("--password", help="The password (asked for when omitted).")
def create_user_command(username: str, admin: bool, password: str | None) -> None:
    """Create a user who can log in to the web UI."""
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            raise click.ClickException("the passwords differ")
    try:
        user_service.create_user(db.session, username, password, is_admin=admin)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"created user {username}" + (" (admin)" if admin else ""))


@click.command("create-token")
@with_appcontext
@click.argument("name")
@click.option("--user", "username", help="Owner of the token (default: the first admin).")
def create_token_command(name: str, username: str | None) -> None:
    """Print a new API token for ``Authorization: Bearer <token>``."""
    query = select(User).order_by(User.id)
    query = query.where(User.username == username) if username else query.where(User.is_admin)
    user = db.session.scalar(query.limit(1))
    if user is None:
        raise click.ClickException(f"no such user: {username or '(any admin)'}")
    try:
        _token, plaintext = user_service.create_token(db.session, user, name)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(plaintext)


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(create_token_command)
