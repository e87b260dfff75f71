"""Settings of the auth plugin, checked at start-up."""

from __future__ import annotations

import dataclasses
from typing import Literal
from urllib.parse import urlsplit

from flask_plugboard import setting

__all__ = ["AuthSettings"]


@dataclasses.dataclass(frozen=True)
class AuthSettings:
    """Settings of the auth plugin (prefix ``AUTH_``)."""

    environment: Literal["development", "production"] | None = setting(
        None,
        choices=(None, "development", "production"),
        doc="'development' generates a missing SECRET_KEY once and keeps it in the "
        "instance folder; 'production' refuses to start without a strong SECRET_KEY. "
        "Unset: development when Flask's debug or TESTING is on, production otherwise.",
    )
    secret_key_file: str = setting(
        "secret_key",
        doc="Name of the file in the instance folder that keeps the generated development "
        "SECRET_KEY (mode 0600).",
    )
    admin_role: str = setting(
        "admin",
        doc="The role whose members may see admin pages (add_admin_access_check) and "
        "that flask auth create-admin grants.",
    )
    load_user: bool = setting(
        True,
        doc="Resolve the current user before every request and put it on g.user (as the "
        "Flask tutorial does). Off: g.user is set the first time current_user(), "
        "login_required or roles_required runs in a request.",
    )
    password_min_length: int = setting(12, min=1, doc="Fewest characters a new password may have.")
    password_max_bytes: int = setting(
        1024,
        min=1,
        doc="Most bytes (UTF-8) a password may have; longer ones are refused before "
        "hashing, so huge inputs cannot tie up the server.",
    )
    password_reject_common: bool = setting(
        True, doc="Refuse passwords from the short list of common passwords shipped with auth."
    )
    password_rejected: list[str] = setting(
        [],
        doc="More passwords to refuse (compared ignoring case), such as the app's or "
        "the company's name.",
    )
    argon2_time_cost: int = setting(3, min=1, doc="argon2id iterations (time cost).")
    argon2_memory_cost: int = setting(65536, min=8, doc="argon2id memory in KiB (65536 = 64 MiB).")
    argon2_parallelism: int = setting(4, min=1, doc="argon2id lanes (parallelism).")
    lockout_attempts: int = setting(
        5,
        min=0,
        doc="Consecutive failed logins, within AUTH_LOCKOUT_WINDOW, after which the "
        "account is locked. 0: never locked.",
    )
    lockout_window: int = setting(
        900,
        min=1,
        doc="Seconds within which failed logins count as consecutive; an older failure "
        "starts the count again.",
    )
    lockout_seconds: int = setting(
        900, min=1, doc="Seconds an account stays locked after too many failed logins."
    )
    login_limit_address: str = setting(
        "20/minute;200/hour",
        doc="With the ratelimit plugin: login attempts allowed per client address, on the "
        "login page and the JSON login (fail closed). Empty: no such limit.",
    )
    login_limit_account: str = setting(
        "10/minute;60/hour",
        doc="With the ratelimit plugin: login attempts allowed per account (the username "
        "or e-mail address tried), from any address (fail closed). Empty: no such limit.",
    )
    register_limit: str = setting(
        "5/minute;20/hour",
        doc="With the ratelimit plugin: registrations allowed per client address, on the "
        "register page and the JSON register (fail closed; each one hashes a password "
        "with AUTH_ARGON2_MEMORY_COST). Empty: no such limit.",
    )
    # -- browser sessions and pages --
    pages: bool = setting(
        True,
        doc="Serve the HTML pages: register, log in, log out, change password, forgotten "
        "password, sessions.",
    )
    content_security_policy: str = setting(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        doc="The Content-Security-Policy header of the pages. They use no inline script or "
        "style; an app whose overriding templates need more widens it here. Empty: none sent.",
    )
    registration: bool = setting(
        True,
        doc="Let anyone register an account (page and JSON). Off: accounts come from "
        "flask auth commands or register_user().",
    )
    session_lifetime: int = setting(
        12 * 3600,
        min=60,
        doc="Seconds a browser session lasts without remember-me; it ends sooner when "
        "the browser closes (the cookie has no expiry).",
    )
    session_idle_timeout: int = setting(
        2 * 3600,
        min=60,
        doc="Seconds without a request after which a session without remember-me ends.",
    )
    remember_lifetime: int = setting(
        30 * 24 * 3600,
        min=60,
        doc="Seconds a remember-me session lasts, across browser restarts.",
    )
    home: str = setting(
        "/",
        doc="Where the browser goes after logging in or out when no safe ?next= was given: "
        "a path on this site or an endpoint name.",
    )
    # -- tokens (JWT) --
    api: bool = setting(
        True, doc="Serve the JSON endpoints: register, login, refresh, logout, me."
    )
    access_token_expires: int = setting(
        15 * 60, min=1, doc="Seconds an access token is valid (JWT_ACCESS_TOKEN_EXPIRES)."
    )
    refresh_token_expires: int = setting(
        30 * 24 * 3600,
        min=1,
        doc="Seconds a refresh token is valid (JWT_REFRESH_TOKEN_EXPIRES).",
    )
    token_location: list[str] = setting(
        ["headers"],
        doc="Where tokens are read: 'headers' (Authorization: Bearer) and/or 'cookies' "
        "(HttpOnly cookies with CSRF double-submit; the JSON login then sets them).",
    )
    jwt_keys: dict[str, str] = setting(
        {},
        secret=True,
        doc="Signing keys by key id, for rotation: {'2026-12': '<new>', '2026-06': "
        "'<old>'}. Tokens are signed with AUTH_JWT_KEY_ID and verified with the key "
        "their 'kid' header names. Empty: JWT_SECRET_KEY, else SECRET_KEY.",
    )
    jwt_key_id: str | None = setting(
        None,
        doc="Key id of AUTH_JWT_KEYS that signs new tokens. Required when AUTH_JWT_KEYS "
        "has several keys.",
    )
    revocation_cache_url: str | None = setting(
        None,
        secret=True,
        doc="Redis URL of a cache of revoked tokens in front of the database's list "
        "(unset or 'off': none). It spares the database the replays of revoked tokens "
        "and costs valid ones a round trip; the database stays the authority and the "
        "check fails closed.",
    )
    # -- forgotten password --
    reset_max_age: int = setting(
        3600, min=60, doc="Seconds a password-reset link stays valid (it works once)."
    )
    mail_url: str = setting(
        "smtp://localhost:25",
        secret=True,
        doc="How reset e-mails are sent: smtp://[user:password@]host[:port] "
        "(STARTTLS when the server offers it; ?starttls=require to insist), "
        "smtps://... for TLS from the start, or log:// to write them to the log "
        "(development).",
    )
    mail_sender: str = setting(
        "noreply@localhost", doc="The From address of the e-mails auth sends."
    )
    mail_queue_size: int = setting(
        100,
        min=1,
        doc="Most e-mails waiting to be sent by the process's mail thread; past it new "
        "ones are dropped (and logged). The queue is in memory: mail still queued when "
        "the process ends is lost.",
    )
    public_url: str | None = setting(
        None,
        doc="The site's address as its users reach it, such as 'https://surveys.example.org' "
        "(with a path when it is served under one): password-reset links are built from "
        "it, never from the request's Host header. Unset: SERVER_NAME, else the request's "
        "host when TRUSTED_HOSTS checks it (or in development).",
    )

    def __post_init__(self) -> None:
        if self.argon2_memory_cost < 8 * self.argon2_parallelism:
            raise ValueError(
                f"AUTH_ARGON2_MEMORY_COST = {self.argon2_memory_cost} is below 8 KiB per "
                f"lane of AUTH_ARGON2_PARALLELISM = {self.argon2_parallelism}: raise the "
                "memory cost or lower the parallelism"
            )
        if not self.admin_role.strip():
            raise ValueError("AUTH_ADMIN_ROLE is empty: name the administrators' role")
        bad = [place for place in self.token_location if place not in ("headers", "cookies")]
        if bad or not self.token_location:
            raise ValueError(
                f"AUTH_TOKEN_LOCATION = {self.token_location!r}: expected a non-empty list "
                "of 'headers' and 'cookies'"
            )
        if self.jwt_keys and self.jwt_key_id is None and len(self.jwt_keys) > 1:
            raise ValueError(
                "AUTH_JWT_KEYS has several keys and AUTH_JWT_KEY_ID is unset: name the "
                "key that signs new tokens"
            )
        if self.jwt_key_id is not None and self.jwt_key_id not in self.jwt_keys:
            raise ValueError(
                f"AUTH_JWT_KEY_ID = {self.jwt_key_id!r} is not a key id of AUTH_JWT_KEYS "
                f"(which has {sorted(self.jwt_keys)!r})"
            )
        if self.public_url is not None:
            object.__setattr__(self, "public_url", check_public_url(self.public_url))
        from ._mail import parse_mail_url  # here: _mail needs this module loaded

        parse_mail_url(self.mail_url)  # raises ValueError naming the key and the forms
        if not self.secret_key_file or "/" in self.secret_key_file:
            raise ValueError(
                f"AUTH_SECRET_KEY_FILE = {self.secret_key_file!r}: expected a plain file "
                "name (it is kept in the instance folder)"
            )


def check_public_url(url: str) -> str:
    """AUTH_PUBLIC_URL without its trailing slash; ``ValueError`` naming what is wrong."""
    parts = urlsplit(url.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"AUTH_PUBLIC_URL = {url!r}: expected the site's address, http(s)://host[:port]"
            "[/path] (like 'https://surveys.example.org'), without user, query or fragment"
        )
    return url.strip().rstrip("/")
