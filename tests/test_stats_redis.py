"""The stats plugin's Redis store, for real: several gunicorn workers adding into one
Redis, and a Redis of the test's own stopped and started again mid-traffic."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from flask_plugboard.plugins.stats import Stats

pytestmark = pytest.mark.redis

ROUTE = "/work/<int:n>"

APP_MODULE = textwrap.dedent(
    """
    import os

    from flask import Flask

    from flask_plugboard.plugins.stats import Stats

    app = Flask(__name__)
    app.config.update(
        PLUGBOARD_ADMIN=True,
        PLUGBOARD_ADMIN_ACCESS="open",  # nobody decides here: the figures are the subject
        STATS_REDIS_URL=os.environ["STATS_TEST_REDIS_URL"],
        STATS_REDIS_PREFIX=os.environ["STATS_TEST_PREFIX"],
        STATS_FLUSH_INTERVAL=float(os.environ["STATS_TEST_FLUSH_INTERVAL"]),
    )


    @app.get("/work/<int:n>")
    def work(n: int) -> str:
        return str(os.getpid())


    Stats(app)
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, up: bool, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise AssertionError(f"port {port} did not go {'up' if up else 'down'} in {timeout} s")


def _wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    value = f"plugboard-test:stats:{uuid.uuid4().hex}:"
    yield value
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{value}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def make_app(prefix: str) -> Iterator[Callable[..., Flask]]:
    """Builds apps with the Redis store; their flushers stop before the keys are deleted."""
    apps: list[Flask] = []

    def make(url: str, prefix: str = prefix, **config: Any) -> Flask:
        app = _app(url, prefix, **config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["stats.state"].store.close()


def _app(url: str, prefix: str, **config: Any) -> Flask:
    app = Flask("stats_redis_test")
    app.config.update(
        PLUGBOARD_ADMIN=True,
        PLUGBOARD_ADMIN_ACCESS="open",  # nobody decides here: the figures are the subject
        STATS_REDIS_URL=url,
        STATS_REDIS_PREFIX=prefix,
        STATS_FLUSH_INTERVAL=0.1,
        **config,
    )

    @app.get("/work/<int:n>")
    def work(n: int) -> str:
        return "done"

    Stats(app)
    return app


def _stats(app: Flask) -> dict[str, Any]:
    data: dict[str, Any] = app.test_client().get("/admin/stats").get_json()
    return data


def test_two_hosts_add_into_the_same_figures(
    redis_url: str, make_app: Callable[..., Flask]
) -> None:
    first, second = make_app(redis_url), make_app(redis_url)
    first.extensions["stats"].register_collector("ones", lambda *a: 1, app=first)
    for i in range(7):
        first.test_client().get(f"/work/{i}")
    for i in range(5):
        second.test_client().get(f"/work/{i}")
    second.test_client().get("/nowhere")
    _stats(second)  # sends second's figures
    data = _stats(first)
    assert data["store"]["kind"] == "redis" and data["store"]["reachable"] is True
    assert data["stats"]["request_count"][ROUTE] == 12
    assert data["stats"]["ones"][ROUTE] == 7
    assert data["endpoints"][ROUTE]["status"] == {"2xx": 12}
    assert sum(data["endpoints"][ROUTE]["histogram"]) == 12
    assert data["endpoints"]["<unmatched>"]["errors"] == 1
    assert sum(p["count"] for p in data["series"]["points"]) >= 13
    assert any(s["path"] == "/nowhere" for s in data["slowest"])


def test_a_batch_sent_twice_counts_once(redis_url: str, make_app: Callable[..., Flask]) -> None:
    app = make_app(redis_url)
    store = app.extensions["stats.state"].store
    app.test_client().get("/work/1")
    batch = store.recorder.take()
    for _ in range(2):  # as when Redis applied it but the reply was lost
        store._batches = [("same-id", batch)]
        assert store.flush()
    assert _stats(app)["stats"]["request_count"][ROUTE] == 1


def _gunicorn(
    tmp_path: Path, redis_url: str, prefix: str, workers: int, flush_interval: float
) -> tuple[subprocess.Popen[bytes], int]:
    pytest.importorskip("gunicorn")
    (tmp_path / "stats_workers_app.py").write_text(APP_MODULE)
    port = _free_port()
    env = {
        **os.environ,
        "STATS_TEST_REDIS_URL": redis_url,
        "STATS_TEST_PREFIX": prefix,
        "STATS_TEST_FLUSH_INTERVAL": str(flush_interval),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--chdir",
            str(tmp_path),
            "--graceful-timeout",
            "5",
            "stats_workers_app:app",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _wait_for_port(port, up=True)
    return server, port


def _get(port: int, path: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.status, response.read().decode()


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    _, stderr = server.communicate(timeout=20)
    assert b"Traceback" not in stderr, stderr.decode()


def test_gunicorn_workers_add_up_exactly(redis_url: str, prefix: str, tmp_path: Path) -> None:
    server, port = _gunicorn(tmp_path, redis_url, prefix, workers=3, flush_interval=0.2)
    try:
        n = 300
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(lambda i: _get(port, f"/work/{i}"), range(n)))
        assert [status for status, _ in results] == [200] * n
        assert len({pid for _, pid in results}) >= 2, "one worker served every request"

        def count() -> int:
            data = json.loads(_get(port, "/admin/stats")[1])
            value: int = data["stats"]["request_count"].get(ROUTE, 0)
            return value

        _wait_until(lambda: count() == n)
        assert count() == n
        time.sleep(0.5)  # a few more flushes: nothing is sent twice
        assert count() == n
    finally:
        _stop(server)


def test_gunicorn_workers_send_the_rest_when_they_stop(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    # A flush interval longer than the test: only the flush at exit can send them.
    server, port = _gunicorn(tmp_path, redis_url, prefix, workers=2, flush_interval=60)
    try:
        with ThreadPoolExecutor(4) as pool:
            statuses = [s for s, _ in pool.map(lambda i: _get(port, f"/work/{i}"), range(40))]
        assert statuses == [200] * 40
    finally:
        _stop(server)
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.hget(f"{prefix}totals", f"count|{ROUTE}") == b"40"
    finally:
        client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts a redis-server of this test's own on a free port (the same one each time)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
                "--dbfilename",
                "stats.rdb",
            ],
            stdout=subprocess.DEVNULL,
        )
        started.append(process)
        _wait_for_port(port, up=True)
        process.port = port  # type: ignore[attr-defined]
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_redis_stopped_mid_traffic_costs_no_request(
    own_redis: Callable[[], subprocess.Popen[bytes]], caplog: pytest.LogCaptureFixture
) -> None:
    server = own_redis()
    port = server.port  # type: ignore[attr-defined]
    url = f"redis://127.0.0.1:{port}/0"
    app = _app(url, "outage:")
    store = app.extensions["stats.state"].store
    statuses: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        client = app.test_client()
        i = 0
        while not stop.is_set():
            statuses.append(client.get(f"/work/{i}").status_code)
            i += 1
            time.sleep(0.001)

    senders = [threading.Thread(target=traffic) for _ in range(3)]
    with caplog.at_level(logging.WARNING, "flask_plugboard.plugins.stats"):
        for thread in senders:
            thread.start()
        time.sleep(0.4)
        # Stopped mid-traffic. It saves first so that, started again, it still holds
        # what it had: then the totals can be checked to the request.
        with socket.create_connection(("127.0.0.1", port), 5) as sock:
            sock.sendall(b"SHUTDOWN SAVE\r\n")  # a plain socket: no client-side retries
        server.wait(timeout=10)
        sent_when_stopped = len(statuses)
        time.sleep(0.6)  # several flushes fail meanwhile
        down = _stats(app)
        assert down["store"]["reachable"] is False
        assert "error" in down["store"]
        assert down["store"]["unsent"] > 0
        own_redis()  # the same port again
        time.sleep(0.4)
        stop.set()
        for thread in senders:
            thread.join()
        assert len(statuses) > sent_when_stopped + 10, "no traffic during the outage"
        assert set(statuses) == {200}
        _wait_until(lambda: _stats(app)["stats"]["request_count"][ROUTE] == len(statuses))
        data = _stats(app)
    assert data["store"]["reachable"] is True
    assert data["stats"]["request_count"][ROUTE] == len(statuses)
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "unreachable" in m]) == 1, messages
    assert len([m for m in messages if "answers again" in m]) == 1, messages
    store.close()  # before the fixture stops this Redis
