"""Shared test setup: the real PostgreSQL and Redis servers, when present."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

pytest_plugins = ["pytester"]

POSTGRES_URL = os.environ.get(
    "PLUGBOARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PLUGBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL server; skips the test when none answers."""
    if not _reachable(POSTGRES_URL, 5432):
        pytest.skip(
            f"PostgreSQL is not reachable at {POSTGRES_URL} (set PLUGBOARD_TEST_POSTGRES_URL)"
        )
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis server; skips the test when none answers."""
    if not _reachable(REDIS_URL, 6379):
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set PLUGBOARD_TEST_REDIS_URL)")
    return REDIS_URL
