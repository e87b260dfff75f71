"""The bundled auth plugin: users and roles in the database, browser sessions with login
pages, JWT tokens for APIs, password resets by e-mail.

Works with the host (``PLUGBOARD_PLUGINS = ["auth"]``) or alone (``Auth(app)``)::

    from flask_plugboard.plugins.auth import check_credentials, login_required, register_user

    register_user("alice", "a long passphrase of several words", email="alice@example.org")
    user = check_credentials("Alice", "a long passphrase of several words")

See ``docs/batteries/auth.md`` for the pages, endpoints, settings and commands.
"""

from __future__ import annotations

from ._abuse import login_limits, register_limits
from ._aliases import add_alias, aliases_of, remove_alias
from ._bearer import authenticated_by_bearer_token
from ._csrf import CSRFError, check_csrf, csrf_field, csrf_protect, csrf_token
from ._errors import AuthError, DuplicateUserError, PasswordPolicyError, UnknownUserError
from ._identity import add_identity_source, current_user, login_required, roles_required, user_for
from ._mail import MailError, MailSender, send_mail, set_mail_sender
from ._models import Role, User
from ._models import normalise as normalise_name
from ._next import safe_next
from ._passwords import Passwords, Verdict
from ._plugin import Auth
from ._policy import PasswordPolicy
from ._prune import prune
from ._reset import InvalidResetLinkError, flush_mail, request_password_reset, reset_password
from ._secret_key import check_secret_key
from ._service import (
    activate,
    add_role,
    check_credentials,
    check_email,
    check_username,
    deactivate,
    delete_user,
    find_user,
    import_user,
    is_admin,
    log_out_everywhere,
    register_user,
    remove_role,
    set_password,
)
from ._sessions import (
    has_browser_session,
    log_in,
    log_out,
    log_out_other_sessions,
    user_sessions,
)
from ._settings import AuthSettings
from ._state import IdentitySource
from ._token_check import TokenStoreUnavailable
from ._token_decoders import TokenDecoder, add_token_decoder, revoke_token_id
from ._tokens import (
    issue_tokens,
    new_access_token,
    refresh_tokens,
    revoke_all_tokens,
    revoke_token,
)

__all__ = [
    "Auth",
    "AuthError",
    "AuthSettings",
    "CSRFError",
    "DuplicateUserError",
    "IdentitySource",
    "InvalidResetLinkError",
    "MailError",
    "MailSender",
    "PasswordPolicy",
    "PasswordPolicyError",
    "Passwords",
    "Role",
    "TokenDecoder",
    "TokenStoreUnavailable",
    "UnknownUserError",
    "User",
    "Verdict",
    "activate",
    "add_alias",
    "add_identity_source",
    "add_role",
    "add_token_decoder",
    "aliases_of",
    "authenticated_by_bearer_token",
    "check_credentials",
    "check_csrf",
    "check_email",
    "check_secret_key",
    "check_username",
    "csrf_field",
    "csrf_protect",
    "csrf_token",
    "current_user",
    "deactivate",
    "delete_user",
    "find_user",
    "flush_mail",
    "has_browser_session",
    "import_user",
    "is_admin",
    "issue_tokens",
    "log_in",
    "log_out",
    "log_out_everywhere",
    "log_out_other_sessions",
    "new_access_token",
    "login_limits",
    "login_required",
    "normalise_name",
    "prune",
    "refresh_tokens",
    "register_limits",
    "register_user",
    "remove_alias",
    "remove_role",
    "request_password_reset",
    "reset_password",
    "revoke_all_tokens",
    "revoke_token",
    "revoke_token_id",
    "roles_required",
    "safe_next",
    "send_mail",
    "set_mail_sender",
    "set_password",
    "user_for",
    "user_sessions",
]
