"""Per-app state of the auth plugin, kept in ``app.extensions``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from flask import Flask, Request, current_app

from ._errors import AuthError
from ._models import User
from ._outbox import Outbox
from ._passwords import Passwords
from ._policy import PasswordPolicy
from ._settings import AuthSettings

__all__ = ["STATE_KEY", "AuthState", "IdentitySource", "get_auth_state"]

STATE_KEY = "auth.state"

#: Says who makes a request: returns the user, or None when the request does not say.
#: The browser-session and token parts of auth are identity sources.
IdentitySource = Callable[[Request], User | None]


@dataclasses.dataclass
class AuthState:
    settings: AuthSettings
    passwords: Passwords
    policy: PasswordPolicy
    outbox: Outbox
    sources: list[IdentitySource] = dataclasses.field(default_factory=list)

    @classmethod
    def build(cls, settings: AuthSettings) -> AuthState:
        return cls(
            settings=settings,
            passwords=Passwords(
                settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism
            ),
            policy=PasswordPolicy.build(
                settings.password_min_length,
                settings.password_max_bytes,
                settings.password_reject_common,
                settings.password_rejected,
            ),
            outbox=Outbox(settings.mail_queue_size),
        )


def get_auth_state(app: Flask | None = None) -> AuthState:
    target = current_app if app is None else app
    try:
        state: AuthState = target.extensions[STATE_KEY]
    except KeyError:
        raise AuthError(
            f"the auth plugin is not initialised on app {target.name!r}: add 'auth' to "
            "PLUGBOARD_PLUGINS, or call Auth(app) in the app factory"
        ) from None
    return state
