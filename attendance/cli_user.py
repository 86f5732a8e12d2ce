"""``attendance user``: dashboard accounts from the shell."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from .cli_support import cli_settings, cli_transaction, domain_errors_as_click
from .db import Role, User
from .services.user_admin import generate_password, list_users, reset_password, set_active, set_role
from .services.users import MIN_PASSWORD_LENGTH, create_user, get_user_by_username


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
        password = generate_password()
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
    """Create a first admin with a generated password, unless an active admin exists."""
    with cli_transaction(cli_settings()) as session:
        existing = session.scalars(
            select(User.username).where(User.role == Role.ADMIN.value, User.active.is_(True))
            .order_by(User.id)
        ).first()
        if existing is not None:
            click.echo(f"Admin account exists: log in as {existing!r}.")
            return
        password = generate_password()
        create_user(session, username=username, password=password, role=Role.ADMIN)
    click.echo(f"Created the first admin. Log in as {username!r} with password: {password}")
    click.echo("The password is shown only this once; store it safely.", err=True)


@user.command("list")
@domain_errors_as_click
def list_() -> None:
    """List the accounts: name, role, and whether they may sign in."""
    with cli_transaction(cli_settings()) as session:
        lines = [f"{u.username}\t{u.role}\t{'active' if u.active else 'deactivated'}"
                 + ("\tmust choose a new password" if u.must_change_password else "")
                 for u in list_users(session)]
    click.echo("\n".join(lines) if lines else "No accounts yet; create one with "
               "'attendance user create'.")


@user.command("reset-password")
@click.argument("username")
@domain_errors_as_click
def reset_password_(username: str) -> None:
    """Give USERNAME a new one-time password, printed once, and end their sessions.

    They sign in with it once and must then choose their own password.
    """
    with cli_transaction(cli_settings()) as session:
        account = get_user_by_username(session, username)
        password = reset_password(session, account.id, actor="cli")
        name = account.username
    click.echo(f"New one-time password for {name!r}: {password}")
    click.echo("It is shown only this once; they choose their own at the next sign-in.",
               err=True)


@user.command("deactivate")
@click.argument("username")
@domain_errors_as_click
def deactivate(username: str) -> None:
    """Stop USERNAME from signing in and end their sessions (the last active admin is
    refused). Their courses and the audit log keep naming them."""
    _set_active(username, active=False)


@user.command("reactivate")
@click.argument("username")
@domain_errors_as_click
def reactivate(username: str) -> None:
    """Let a deactivated USERNAME sign in again (with their old password)."""
    _set_active(username, active=True)


@user.command("set-role")
@click.argument("username")
@click.option("--admin", "role", flag_value="admin", help="Make the account an administrator.")
@click.option("--teacher", "role", flag_value="teacher", help="Make the account a teacher.")
@domain_errors_as_click
def set_role_(username: str, role: str | None) -> None:
    """Make USERNAME an admin or a teacher (the last active admin stays one)."""
    if role is None:
        raise click.UsageError("choose --admin or --teacher")
    with cli_transaction(cli_settings()) as session:
        account = get_user_by_username(session, username)
        changed = set_role(session, account.id, role, actor="cli")
        name = account.username
    click.echo(f"{name!r} is now {'an admin' if role == 'admin' else 'a teacher'}." if changed
               else f"{name!r} already was {'an admin' if role == 'admin' else 'a teacher'}.")


def _set_active(username: str, *, active: bool) -> None:
    with cli_transaction(cli_settings()) as session:
        account = get_user_by_username(session, username)
        changed = set_active(session, account.id, active, actor="cli")
        name = account.username
    state = "active" if active else "deactivated"
    click.echo(f"{name!r} is {state} now." if changed else f"{name!r} already was {state}.")
