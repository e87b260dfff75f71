"""The bundled auth plugin: users, roles and passwords in the database.

Works with the host (``PLUGBOARD_PLUGINS = ["auth"]``) or alone (``Auth(app)``)::

    from flask_plugboard.plugins.auth import check_credentials, login_required, register_user

    register_user("alice", "a long passphrase of several words", email="alice@example.org")
    user = check_credentials("Alice", "a long passphrase of several words")

See ``docs/batteries/auth.md`` for the settings, the secret key rule and the commands.
"""

from __future__ import annotations

from ._errors import AuthError, DuplicateUserError, PasswordPolicyError, UnknownUserError
from ._identity import add_identity_source, current_user, login_required, roles_required, user_for
from ._models import Role, User
from ._passwords import Passwords, Verdict
from ._plugin import Auth
from ._policy import PasswordPolicy
from ._secret_key import check_secret_key
from ._service import (
    activate,
    add_role,
    check_credentials,
    deactivate,
    delete_user,
    find_user,
    register_user,
    remove_role,
    set_password,
)
from ._settings import AuthSettings
from ._state import IdentitySource

__all__ = [
    "Auth",
    "AuthError",
    "AuthSettings",
    "DuplicateUserError",
    "IdentitySource",
    "PasswordPolicy",
    "PasswordPolicyError",
    "Passwords",
    "Role",
    "UnknownUserError",
    "User",
    "Verdict",
    "activate",
    "add_identity_source",
    "add_role",
    "check_credentials",
    "check_secret_key",
    "current_user",
    "deactivate",
    "delete_user",
    "find_user",
    "login_required",
    "register_user",
    "remove_role",
    "roles_required",
    "set_password",
    "user_for",
]
