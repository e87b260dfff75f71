"""``flask auth``: create the first administrator, give roles, passwords, deactivate
accounts, log a user out everywhere, prune expired records."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from ._errors import AuthError
from ._prune import prune
from ._service import (
    activate,
    add_role,
    deactivate,
    log_out_everywhere,
    register_user,
    remove_role,
    set_password,
)
from ._state import get_auth_state

__all__ = ["auth_group"]

auth_group = AppGroup("auth", help="Manage the auth plugin's users and roles.")


@contextmanager
def _as_click_errors() -> Iterator[None]:
    try:
        yield
    except AuthError as exc:
        raise click.ClickException(str(exc)) from None
    except (OperationalError, ProgrammingError) as exc:
        raise click.ClickException(
            f"the auth tables are missing or out of date ({type(exc.orig).__name__}): "
            "run `flask db upgrade` first"
        ) from None


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: Any = click.prompt(
        "Password", hide_input=True, confirmation_prompt="Repeat the password"
    )
    return str(value)


def _password_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of standard input (for scripts).",
    )(command)


@auth_group.command("create-admin")
@click.argument("name", required=False, metavar="[USERNAME]")
@click.option("--username", default=None, help="Username of the administrator (or USERNAME).")
@click.option("--email", default=None, help="E-mail address (optional).")
@_password_option
def create_admin_command(
    name: str | None, username: str | None, email: str | None, password_stdin: bool
) -> None:
    """Create an administrator USERNAME: a user with the AUTH_ADMIN_ROLE role."""
    if name is not None and username is not None and name != username:
        raise click.UsageError(
            f"two usernames given, {name!r} and --username {username!r}: give one"
        )
    username = name if name is not None else username
    if username is None:
        username = str(click.prompt("Username"))
    role = get_auth_state().settings.admin_role
    with _as_click_errors():
        password = _read_password(password_stdin)
        user = register_user(username, password, email=email, roles=[role])
    click.echo(f"created administrator {user.username!r} (role {role!r})")


@auth_group.command("add-role")
@click.argument("username")
@click.argument("role")
def add_role_command(username: str, role: str) -> None:
    """Give the user USERNAME the role ROLE (created when new)."""
    with _as_click_errors():
        user = add_role(username, role)
    click.echo(f"{user.username!r} now has the roles: {', '.join(sorted(user.role_names))}")


@auth_group.command("deactivate")
@click.argument("username")
def deactivate_command(username: str) -> None:
    """Refuse every login of USERNAME and end its sessions and tokens (its data stay)."""
    with _as_click_errors():
        user = deactivate(username)
    click.echo(f"deactivated {user.username!r}")


@auth_group.command("remove-role")
@click.argument("username")
@click.argument("role")
def remove_role_command(username: str, role: str) -> None:
    """Take the role ROLE from the user USERNAME."""
    with _as_click_errors():
        user = remove_role(username, role)
    roles = ", ".join(sorted(user.role_names)) or "none"
    click.echo(f"{user.username!r} now has the roles: {roles}")


@auth_group.command("activate")
@click.argument("username")
def activate_command(username: str) -> None:
    """Let a deactivated USERNAME log in again."""
    with _as_click_errors():
        user = activate(username)
    click.echo(f"activated {user.username!r}")


@auth_group.command("set-password")
@click.argument("username")
@_password_option
def set_password_command(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password; ends its sessions and tokens, unlocks it."""
    with _as_click_errors():
        password = _read_password(password_stdin)
        user = set_password(username, password)
    click.echo(f"new password set for {user.username!r}; its sessions and tokens ended")


@auth_group.command("logout-everywhere")
@click.argument("username")
def logout_everywhere_command(username: str) -> None:
    """End every browser session of USERNAME and make all its tokens useless."""
    with _as_click_errors():
        user = log_out_everywhere(username)
    click.echo(f"logged {user.username!r} out everywhere")


@auth_group.command("prune")
def prune_command() -> None:
    """Delete expired sessions, reset links, token records and login failures (daily)."""
    with _as_click_errors():
        counts = prune()
    click.echo("deleted " + ", ".join(f"{n} {what}" for what, n in counts.items()))
