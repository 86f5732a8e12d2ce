"""``attendance user``: dashboard accounts from the shell."""

from __future__ import annotations

import secrets
import sys

import click
from sqlalchemy import select

from .cli_support import cli_settings, cli_transaction, domain_errors_as_click
from .db import Role, User
from .services.users import MIN_PASSWORD_LENGTH, create_user

#: Bytes of randomness in a generated password (printed as about 22 URL-safe characters).
GENERATED_PASSWORD_BYTES = 16


@click.group()
def user() -> None:
    """Manage dashboard accounts (teachers and admins)."""


@user.command("create")
@click.argument("username")
@click.option("--admin", "role", flag_value="admin", help="Create an administrator.")
@click.option(
    "--teacher", "role", flag_value="teacher", default=True, help="Create a teacher (default)."
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.option("--generate", is_flag=True, help="Generate a random password and print it once.")
@domain_errors_as_click
def create(username: str, role: str, password_stdin: bool, generate: bool) -> None:
    """Create the account USERNAME; the password is asked for twice unless given otherwise."""
    if password_stdin and generate:
        raise click.UsageError("use either --password-stdin or --generate, not both")
    if generate:
        password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
        )
    with cli_transaction(cli_settings()) as session:
        account = create_user(session, username=username, password=password, role=role)
        summary = f"Created {account.role} {account.username!r} (id {account.id})."
    click.echo(summary)
    if generate:
        click.echo(f"Password: {password}")
        click.echo("It is shown only this once; store it safely.", err=True)


@user.command("ensure-admin")
@click.option("--username", default="admin", show_default=True, help="Name for the new admin.")
@domain_errors_as_click
def ensure_admin(username: str) -> None:
    """Create a first admin with a generated password, unless an admin already exists."""
    with cli_transaction(cli_settings()) as session:
        existing = session.scalars(
            select(User.username).where(User.role == Role.ADMIN.value).order_by(User.id)
        ).first()
        if existing is not None:
            click.echo(f"Admin account exists: log in as {existing!r}.")
            return
        password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
        create_user(session, username=username, password=password, role=Role.ADMIN)
    click.echo(f"Created the first admin. Log in as {username!r} with password: {password}")
    click.echo("The password is shown only this once; store it safely.", err=True)
