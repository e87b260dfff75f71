"""The auth plugin's exceptions."""

from __future__ import annotations

from flask_plugboard.errors import PlugboardError

__all__ = ["AuthError", "DuplicateUserError", "PasswordPolicyError", "UnknownUserError"]


class AuthError(PlugboardError):
    """Base of the auth plugin's errors; the message says what is wrong and the fix."""


class DuplicateUserError(AuthError):
    """The username or e-mail address is already taken (ignoring case)."""


class PasswordPolicyError(AuthError):
    """The password does not satisfy the policy (AUTH_PASSWORD_* settings)."""


class UnknownUserError(AuthError):
    """No user has that username."""
