"""Settings of the apidocs plugin, checked at start-up."""

from __future__ import annotations

import dataclasses
from typing import Literal
from urllib.parse import urlsplit

from flask_plugboard import setting
from flask_plugboard.errors import SettingsError

__all__ = ["Access", "ApiDocsSettings"]

Access = Literal["public", "admin"]


def _check_path(key: str, value: str) -> None:
    if value and (not value.startswith("/") or any(c.isspace() for c in value)):
        raise SettingsError(
            f"{key} = {value!r} is not a URL path: write it like '/openapi.json', starting "
            "with '/' and without spaces, or '' to serve none"
        )


def _check_server(value: str) -> None:
    parts = urlsplit(value)
    absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
    if any(c.isspace() for c in value) or not (absolute or value.startswith("/")):
        raise SettingsError(
            f"APIDOCS_SERVERS has {value!r}, which is not a server URL: write an absolute "
            "URL ('https://api.example.com') or a path on this host ('/api')"
        )


@dataclasses.dataclass(frozen=True)
class ApiDocsSettings:
    """Settings of the apidocs plugin (prefix ``APIDOCS_``)."""

    title: str = setting("", doc="Title of the API (info.title). Empty: the app's name.")
    version: str = setting(
        "1.0.0", doc="Version of the API (info.version): your API's, not Plugboard's."
    )
    description: str = setting(
        "", doc="Description of the API (info.description), in CommonMark. Empty: none."
    )
    servers: list[str] = setting(
        [],
        doc="Server URLs the API is reached at ('https://api.example.com', or '/api' on "
        "the same host). Empty: the host the document is fetched from, under the app's "
        "script root when it is mounted under a prefix.",
    )
    json_path: str = setting(
        "/openapi.json",
        doc="Path of the OpenAPI document. Empty: not served (the CLI still writes it).",
    )
    ui_path: str = setting("/docs", doc="Path of the Swagger UI page. Empty: no page.")
    exclude: list[str] = setting(
        [],
        doc="Endpoints ('admin_tools') and blueprint names ('internal') left out of the "
        "document. Static files and the docs' own routes are always left out.",
    )
    access: Access = setting(
        "public",
        choices=("public", "admin"),
        doc="Who may read the document and the page: 'public' (anyone), or 'admin' (like "
        "every admin page: PLUGBOARD_ADMIN on, and the plugboard_admin_access hook).",
    )

    def __post_init__(self) -> None:
        if not self.version.strip():
            raise SettingsError(
                "APIDOCS_VERSION = '' is not valid: OpenAPI requires a version of the API ('1.0.0')"
            )
        _check_path("APIDOCS_JSON_PATH", self.json_path)
        _check_path("APIDOCS_UI_PATH", self.ui_path)
        if self.ui_path and not self.json_path:
            raise SettingsError(
                f"APIDOCS_UI_PATH = {self.ui_path!r} needs the document, but "
                "APIDOCS_JSON_PATH = '': set a path for the document, or APIDOCS_UI_PATH = ''"
            )
        if self.ui_path and self.ui_path == self.json_path:
            raise SettingsError(
                f"APIDOCS_UI_PATH and APIDOCS_JSON_PATH are both {self.ui_path!r}: give the "
                "page and the document different paths"
            )
        for server in self.servers:
            _check_server(server)
