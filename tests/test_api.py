"""The public surface is small and deliberate: changing it must be a decision."""

from __future__ import annotations

import flask_plugboard


def test_exported_names_are_pinned() -> None:
    assert sorted(flask_plugboard.__all__) == [
        "ADMIN_CONTENT_SECURITY_POLICY",
        "AdminAccessCheck",
        "Plugboard",
        "PlugboardError",
        "PlugboardState",
        "Plugin",
        "PluginFailure",
        "PluginLoadError",
        "PluginRecord",
        "SettingsError",
        "StartupError",
        "UnsafeToStartError",
        "__version__",
        "add_admin_access_check",
        "add_server_timing",
        "admin_guard",
        "admin_page_headers",
        "admin_pages",
        "get_state",
        "hookimpl",
        "hookspec",
        "import_object",
        "plugin_blueprint",
        "plugin_static",
        "setting",
    ]
    for name in flask_plugboard.__all__:
        assert hasattr(flask_plugboard, name)


def test_errors_share_one_base() -> None:
    for name in [
        "PluginFailure",
        "PluginLoadError",
        "SettingsError",
        "StartupError",
        "UnsafeToStartError",
    ]:
        assert issubclass(getattr(flask_plugboard, name), flask_plugboard.PlugboardError)
