"""The ratelimit plugin on the real Redis: strategies, several workers, a Redis outage."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_plugboard.plugins.ratelimit import limit
from flask_plugboard.testing import build_app

pytestmark = pytest.mark.redis

LOGGER = "flask_plugboard.plugins.ratelimit"
STRATEGIES = ["fixed-window", "moving-window", "sliding-window-counter"]
HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port} after {seconds} s")


def _prefix() -> str:
    """A key prefix of this test's own: tests share the Redis and run in parallel."""
    return f"plugboard-test-{uuid.uuid4().hex}"


_APPS: list[Flask] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    """Close the Redis connections of the apps a test made (else: ResourceWarning)."""
    yield
    while _APPS:
        for client in _APPS.pop().extensions.get("plugboard.redis", {}).values():
            client.close()
            client.connection_pool.disconnect()


def _build(config: dict[str, Any], setup: Any) -> Flask:
    app = build_app([], {"PLUGBOARD_PLUGINS": ["ratelimit"], **config}, setup=setup)
    _APPS.append(app)
    return app


def _redis_app(url: str, config: dict[str, Any] | None = None) -> Flask:
    def routes(app: Flask) -> None:
        app.add_url_rule("/", "index", lambda: "hello")

    base = {"RATELIMIT_STORAGE_URL": url, "RATELIMIT_KEY_PREFIX": _prefix()}
    return _build({**base, **(config or {})}, routes)


# -- every strategy on Redis -------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_counts_in_redis(redis_url: str, strategy: str) -> None:
    config = {
        "RATELIMIT_DEFAULT": "3/minute",
        "RATELIMIT_STRATEGY": strategy,
        "RATELIMIT_HEADERS": "always",
    }
    app = _redis_app(redis_url, config)
    client = app.test_client()
    responses = [client.get("/") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["RateLimit"].split(";")[1] for r in responses[:3]] == ["r=2", "r=1", "r=0"]
    assert 1 <= int(responses[3].headers["Retry-After"]) <= 60
    # The counts live in Redis: a second app (another process, say) on the same prefix
    # sees them.
    twin = _redis_app(
        redis_url, {**config, "RATELIMIT_KEY_PREFIX": app.config["RATELIMIT_KEY_PREFIX"]}
    )
    assert twin.test_client().get("/").status_code == 429


def test_changing_a_limit_s_strategy_starts_fresh_counts_instead_of_failing(
    redis_url: str,
) -> None:
    prefix = _prefix()
    for strategy in STRATEGIES:
        config = {
            "RATELIMIT_DEFAULT": "2/minute",
            "RATELIMIT_STRATEGY": strategy,
            "RATELIMIT_KEY_PREFIX": prefix,
            "RATELIMIT_FAIL": "closed",
        }
        client = _redis_app(redis_url, config).test_client()
        assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429], strategy


def test_the_app_wide_redis_url_is_used_when_the_plugin_has_none(redis_url: str) -> None:
    app = _build(
        {
            "PLUGBOARD_REDIS_URL": redis_url,
            "RATELIMIT_KEY_PREFIX": _prefix(),
            "RATELIMIT_DEFAULT": "1/minute",
        },
        lambda app: app.add_url_rule("/", "index", lambda: "hello"),
    )
    assert type(app.extensions["plugboard.ratelimit"].storage).__name__ == "RedisStorage"
    client = app.test_client()
    assert [client.get("/").status_code for _ in range(2)] == [200, 429]


# -- several workers share one limit -----------------------------------------------------------


def gunicorn_app() -> Flask:
    """The app gunicorn serves in the test below (its config comes from the environment)."""
    app = Flask(__name__)
    app.config.from_prefixed_env()

    @app.get("/health")
    def health() -> str:
        return str(os.getpid())

    for strategy in STRATEGIES:
        app.add_url_rule(
            f"/{strategy}",
            strategy,
            limit("10/minute", strategy=strategy)(lambda: str(os.getpid())),  # type: ignore[arg-type]
        )
    from flask_plugboard.plugins.ratelimit import RateLimit

    RateLimit(app)
    return app


@pytest.fixture
def gunicorn_server(redis_url: str, tmp_path: Path) -> Iterator[str]:
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable))
    if gunicorn is None:
        pytest.skip("gunicorn is not installed")
    port = _free_port()
    env = {
        **os.environ,
        "FLASK_RATELIMIT_STORAGE_URL": redis_url,
        "FLASK_RATELIMIT_KEY_PREFIX": _prefix(),
        "FLASK_RATELIMIT_EXEMPT": '["health"]',
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            gunicorn,
            "-w",
            "3",
            "-b",
            f"127.0.0.1:{port}",
            "--chdir",
            str(HERE),
            "test_ratelimit_redis:gunicorn_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        _wait_for_port(port, process)
        url = f"http://127.0.0.1:{port}"
        # Wait until every worker answers, so the limit is shared by three processes.
        deadline = time.monotonic() + 15
        pids = set()
        while len(pids) < 3 and time.monotonic() < deadline:
            with ThreadPoolExecutor(6) as pool:
                pids |= {body for _, body in pool.map(_get, [f"{url}/health"] * 12)}
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_several_workers_share_one_redis_limit_exactly(gunicorn_server: str) -> None:
    workers = set()
    for strategy in STRATEGIES:
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(_get, [f"{gunicorn_server}/{strategy}"] * 30))
        counts = Counter(status for status, _ in results)
        assert counts == {200: 10, 429: 20}, (strategy, counts)
        workers |= {body for status, body in results if status == 200}
    assert len(workers) >= 2, f"one worker served every request: {workers}"


# -- Redis stops mid-traffic -------------------------------------------------------------------


class RedisServer:
    """A redis-server of this test's own, to stop and start again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_redis_outage_fails_open_or_closed_per_limit_and_recovers(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)

    def routes(app: Flask) -> None:
        app.add_url_rule("/feed", "feed", limit("20/minute")(lambda: "feed"))
        app.add_url_rule("/login", "login", limit("20/minute")(lambda: "in"))
        app.add_url_rule("/pay", "pay", limit("20/minute", fail="closed")(lambda: "paid"))

    app = _build({"RATELIMIT_STORAGE_URL": own_redis.url, "RATELIMIT_STORAGE_TIMEOUT": 0.2}, routes)
    client = app.test_client()
    paths = ["/feed", "/login", "/pay"]

    def traffic(rounds: int) -> dict[str, list[int]]:
        return {p: [client.get(p).status_code for _ in range(rounds)] for p in paths}

    assert traffic(2) == {p: [200, 200] for p in paths}

    own_redis.stop()
    during = traffic(3)
    assert during["/feed"] == [200, 200, 200]  # fails open: served, unlimited
    assert during["/login"] == [503, 503, 503]  # a login: fails closed by default
    assert during["/pay"] == [503, 503, 503]  # fail="closed"
    response = client.get("/pay")
    assert response.json == {
        "error": "rate limit storage unavailable",
        "limit": "20 per 1 minute",
        "scope": "pay",
    }
    outages = [r for r in caplog.records if "cannot reach its storage" in r.getMessage()]
    # Logged once per limit, not once per request.
    assert sorted(r.getMessage().split(" cannot")[0] for r in outages) == [
        "rate limit 20 per 1 minute on feed",
        "rate limit 20 per 1 minute on login",
        "rate limit 20 per 1 minute on pay",
    ]

    own_redis.start()  # empty: the counts were in the stopped server's memory
    after = traffic(2)
    assert after == {p: [200, 200] for p in paths}
    assert sum("storage is back" in r.getMessage() for r in caplog.records) == 3
    # Counting again: 18 more pass, then 429.
    assert [client.get("/feed").status_code for _ in range(19)][-2:] == [200, 429]
