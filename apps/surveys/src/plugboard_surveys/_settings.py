"""Settings of the surveys plugin, checked at start-up."""

from __future__ import annotations

import dataclasses

from flask_plugboard import setting
from flask_plugboard.plugins.auth import check_secret_key
from flask_plugboard.plugins.ratelimit import check_limits

__all__ = ["SurveysSettings"]


@dataclasses.dataclass(frozen=True)
class SurveysSettings:
    """Settings of the surveys plugin (prefix ``SURVEYS_``)."""

    legacy: bool = setting(
        True,
        doc="Serve the endpoints of the old flaskForms backend (/register, /login, "
        "/addsurvey...) at the root, in its wire format, for the clients in the field.",
    )
    legacy_public_stats: bool = setting(
        False,
        doc="Let anyone read a survey's legacy /getsurveystats (every answer, text ones "
        "included), as the old backend did. Off: only its owner and administrators, with "
        "their access token, as the API v1's results.",
    )
    api: bool = setting(True, doc="Serve the Surveys API v1 under SURVEYS_API_PREFIX.")
    api_prefix: str = setting("/api/v1", doc="Where the Surveys API v1 is served.")
    page_size: int = setting(20, min=1, max=100, doc="Surveys per page of a listing, by default.")
    text_results: int = setting(
        50, min=0, max=1000, doc="Newest answers of each text question shown in the results."
    )
    submit_limit: str = setting(
        "30/minute;500/hour",
        doc="With the ratelimit plugin: submissions (and legacy replies) allowed per client "
        "address. Empty: no such limit.",
    )
    pages: bool = setting(
        True,
        doc="Serve the web pages: the home page at /, each survey's public page at "
        "/s/<id>, and the owners' pages under /surveys (login through auth's pages).",
    )
    content_security_policy: str = setting(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        doc="The Content-Security-Policy header of the pages. They use no inline script "
        "or style, so the default allows nothing but this site's own files.",
    )
    health: bool = setting(
        True,
        doc="Serve /healthz (the process answers) and /readyz (the database, and Redis "
        "when PLUGBOARD_REDIS_URL is set, answer).",
    )
    legacy_jwt_secret_key: str = setting(
        "",
        secret=True,
        doc="The old flaskForms backend's JWT_SECRET_KEY: its access and refresh tokens "
        "are then taken for SURVEYS_LEGACY_TOKEN_GRACE, so its clients need not log in "
        "again at the switch. Empty: every old token is refused (422).",
    )
    legacy_token_grace: int = setting(
        30 * 24 * 3600,
        min=0,
        doc="Seconds an old backend's token is taken after it was issued (and never past "
        "its own expiry): by default the old refresh tokens' 30 days. 0: none.",
    )

    def __post_init__(self) -> None:
        if self.submit_limit.strip():
            check_limits(self.submit_limit, "SURVEYS_SUBMIT_LIMIT")
        key = self.legacy_jwt_secret_key
        problem = check_secret_key(key) if key else None
        if problem is not None:
            raise ValueError(
                f"{problem.replace('SECRET_KEY', 'SURVEYS_LEGACY_JWT_SECRET_KEY', 1)}: "
                "anyone could forge old tokens with it for any imported user; leave it "
                "empty, and every client of the old backend logs in again"
            )
        prefix = self.api_prefix
        if not prefix.startswith("/") or prefix.endswith("/") or len(prefix) < 2:
            raise ValueError(
                f"SURVEYS_API_PREFIX = {prefix!r}: expected a path such as '/api/v1' "
                "(starting with '/', not ending with one)"
            )
