from __future__ import annotations

import pytest

from flask_plugboard import PlugboardError
from flask_plugboard.connections import redis_client, redis_url
from flask_plugboard.testing import build_app


def test_plugin_url_wins_over_the_app_wide_one() -> None:
    app = build_app([], {"PLUGBOARD_REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert redis_url(app) == "redis://127.0.0.1:6379/3"
    assert redis_url(app, "redis://other:6379/0") == "redis://other:6379/0"
    assert redis_url(build_app([])) is None


def test_one_client_per_app_and_url(redis_url: str) -> None:
    app = build_app([])
    client = redis_client(app, redis_url)
    assert client is redis_client(app, redis_url)
    assert client.ping() is True
    assert redis_client(build_app([]), redis_url) is not client


def test_bad_url_names_the_fix() -> None:
    with pytest.raises(PlugboardError, match="is not a Redis URL.*redis://127.0.0.1:6379/0"):
        redis_client(build_app([]), "http://nope")


def test_redis_url_is_a_secret_in_listings() -> None:
    app = build_app([], {"PLUGBOARD_REDIS_URL": "redis://:hunter22@127.0.0.1:6379/0"})
    from flask_plugboard._listing import known_secrets

    assert "redis://:hunter22@127.0.0.1:6379/0" in known_secrets(app)
