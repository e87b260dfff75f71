"""The README's production steps, as an operator runs them: wheels built from this
checkout, installed into a new virtual environment (no editable install, nothing of the
test's own environment), then the database migrated, an administrator made and the
service served by gunicorn with the packaged config, on the real PostgreSQL and Redis.

The commands are read from the README's "Production" block and run as written (each
``export`` gets a value of the test's: a PostgreSQL schema of its own, Redis keys under
prefixes of its own, fresh keys), so the README cannot drift from what works. Slow (a pip
install): marked ``production``; skipped under ``dev.py test --deps lowest``, whose
versions a fresh install would not keep.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import time
import uuid
import venv
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from flask_plugboard.testing import postgres_schema, schema_url

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "apps" / "surveys" / "README.md"
#: What the wheels are built from: the distributions' files, without build leftovers.
SOURCES = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "src",
    "apps/surveys/pyproject.toml",
    "apps/surveys/README.md",
    "apps/surveys/src",
)
#: Seconds for one step (a pip command, a migration) before the test gives up on it.
STEP_TIMEOUT = 240

pytestmark = [
    pytest.mark.production,
    pytest.mark.postgres,
    pytest.mark.redis,
    # One worker builds the environment for both tests (dev.py runs --dist loadgroup).
    pytest.mark.xdist_group("production"),
    pytest.mark.skipif(
        os.environ.get("PLUGBOARD_TEST_DEPS") == "lowest",
        reason="a fresh install takes the newest dependencies, not the lowest run's",
    ),
]


def _console_blocks(heading: str) -> list[str]:
    """The ```console blocks of the README's section under ``heading``."""
    text = README.read_text()
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    end = text.find("\n## ", start)
    blocks = re.findall(r"```console\n(.*?)```", text[start : end if end > 0 else None], re.S)
    assert blocks, f"no console block under {heading!r} in {README}"
    return blocks


def _steps(block: str) -> list[list[str]]:
    """The block's commands as argument lists (comments dropped, ``\\`` lines joined)."""
    lines = block.replace("\\\n", " ").splitlines()
    return [shlex.split(line, comments=True) for line in lines if line.strip()]


def _exports(steps: list[list[str]], values: Mapping[str, str]) -> dict[str, str]:
    """The variables the steps export: ``values``'s own for those it has, else the
    README's literal value (one that runs a command must be given a value here)."""
    exported: dict[str, str] = {}
    for step in steps:
        if step[0] != "export":
            continue
        name, _, value = step[1].partition("=")
        if name not in values and "$" in value:
            raise AssertionError(f"the README exports {name} from a command: give it a value")
        exported[name] = values.get(name, value)
    return exported


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclasses.dataclass
class Deployment:
    """The service installed from wheels into ``venv``, and the README's steps."""

    venv: Path
    checkout: Path
    host: Path
    env: dict[str, str]
    steps: list[list[str]]
    log: list[str] = dataclasses.field(default_factory=list)

    def argv(self, step: list[str]) -> list[str]:
        """``step`` with its program taken from the new environment."""
        program = shutil.which(step[0], path=str(self.venv / "bin"))
        assert program, f"{step[0]} is not in the installed environment {self.venv}"
        return [program, *step[1:]]

    def run(self, step: list[str], stdin: str = "", cwd: Path | None = None) -> str:
        """Run one step to its end; what it wrote. Fails the test, with the output, when
        it exits non-zero."""
        started = time.monotonic()
        result = subprocess.run(
            self.argv(step),
            cwd=cwd or self.host,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        output = result.stdout + result.stderr
        took = time.monotonic() - started
        self.log.append(f"$ {shlex.join(step)}  # {took:.1f} s, exit {result.returncode}\n{output}")
        assert result.returncode == 0, f"{shlex.join(step)} exited {result.returncode}:\n{output}"
        return output

    def step(self, program: str, *words: str) -> list[str]:
        """The README's step that runs ``program`` with ``words`` among its arguments."""
        for step in self.steps:
            if step[0] == program and all(word in step for word in words):
                return step
        raise AssertionError(f"the README's production steps have no `{program} {words}`")


def _call(
    port: int, method: str, path: str, headers: Mapping[str, str] | None = None
) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


class Server:
    """``gunicorn`` started from the README's step on a free loopback port."""

    def __init__(self, deployment: Deployment, env: Mapping[str, str] | None = None) -> None:
        self.port = _free_port()
        self.log = deployment.host / f"gunicorn-{self.port}.log"
        # GUNICORN_BIND is the config's documented way to choose the address.
        environment = {**deployment.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", **(env or {})}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                deployment.argv(deployment.step("gunicorn")),
                cwd=deployment.host,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, seconds: float = 60) -> bool:
        """Until ``/readyz`` answers 200 (True) or gunicorn exits (False)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if _call(self.port, "GET", "/readyz")[0] == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        output = self.output()
        raise AssertionError(f"gunicorn neither served nor stopped in {seconds} s:\n{output}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _count(metrics: str, label: str) -> float:
    """``plugboard_http_requests_total`` of the series with ``label``, in ``/metrics``."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("plugboard_http_requests_total{") and label in line
    )


def _copy_sources(checkout: Path) -> None:
    """The files the wheels are built from, so no stale ``build/`` of the real checkout
    (a module deleted since) gets into them."""
    leftovers = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in SOURCES:
        source, target = ROOT / name, checkout / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=leftovers)
        elif source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _environment(venv_dir: Path) -> dict[str, str]:
    """This process's environment without the service's variables, nor this test run's
    virtual environment: the new one's ``bin`` first on PATH, as after ``activate``."""
    service = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SECRET_KEY", "SURVEYS_")
    dropped = ("FLASK_", "GUNICORN_", "PYTHON", "VIRTUAL_ENV", "WEB_CONCURRENCY", "PORT")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith((*service, *dropped))
    }
    env["VIRTUAL_ENV"] = str(venv_dir)
    env["PATH"] = os.pathsep.join([str(venv_dir / "bin"), env.get("PATH", os.defpath)])
    return env


@pytest.fixture(scope="module")
def database(postgres_url: str) -> Iterator[str]:
    """A new PostgreSQL schema, dropped afterwards, named in a URL as the README writes
    one (``postgresql://``, no driver). A schema, not a database: creating and dropping a
    database waits for a checkpoint, seconds on a busy server."""
    with postgres_schema(postgres_url, "surveys_prod") as schema:
        url = sa.make_url(postgres_url).set(drivername="postgresql")
        yield schema_url(url.render_as_string(hide_password=False), schema)


@pytest.fixture(scope="module")
def redis_prefix(redis_url: str) -> Iterator[str]:
    """Key prefix of this module's own; its keys are deleted afterwards."""
    prefix = f"surveys_prod_{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, database: str, redis_url: str, redis_prefix: str
) -> Iterator[Deployment]:
    """The README's install steps run in a copy of the checkout, into a new virtual
    environment; its environment holds the README's exports, with the test's values."""
    tmp = tmp_path_factory.mktemp("production")
    checkout, host, venv_dir = tmp / "checkout", tmp / "host", tmp / "venv"
    _copy_sources(checkout)
    host.mkdir()
    venv.EnvBuilder(with_pip=True).create(venv_dir)
    steps = _steps(_console_blocks("## Production")[0])
    env = _environment(venv_dir)
    values = {
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_hex(32),
        "JWT_SECRET_KEY": secrets.token_hex(32),
    }
    env.update(_exports(steps, values))
    # Redis keys of this test's own (other tests share the server), two workers.
    env.update(
        FLASK_RATELIMIT_KEY_PREFIX=redis_prefix,
        FLASK_STATS_REDIS_PREFIX=f"{redis_prefix}:stats:",
        WEB_CONCURRENCY="2",
    )
    deployment = Deployment(venv_dir, checkout, host, env, steps)
    for step in steps:
        if step[0] == "pip":  # the install, in the checkout's root as the README says
            deployment.run(step, cwd=checkout)
    version = re.search(r"(\d+)\.(\d+)", deployment.run(["gunicorn", "--version"]))
    if version and (int(version[1]), int(version[2])) >= (25, 1):
        # Gunicorn 25.1+ opens a control socket, one path per user: servers of other test
        # runs on this machine would take it from each other.
        env["GUNICORN_CMD_ARGS"] = "--no-control-socket"
    yield deployment
    # The environment and the wheels are large; the logs (in host/) stay.
    shutil.rmtree(venv_dir, ignore_errors=True)
    shutil.rmtree(checkout, ignore_errors=True)


@pytest.fixture(autouse=True)
def _steps_log(deployment: Deployment) -> Iterator[None]:
    """Print what every step ran and wrote (pytest shows it when a test fails)."""
    yield
    print("\n".join(deployment.log))
    deployment.log.clear()


def test_the_readme_production_steps_serve_the_service_from_wheels(
    deployment: Deployment,
) -> None:
    # Installed from the wheels: nothing of the checkout is importable in the new venv.
    where = deployment.run(
        ["python", "-c", "import plugboard_surveys, flask_plugboard as f; print(f.__file__)"]
    )
    assert str(deployment.venv) in where, where
    assert "/checkout/" not in where and str(ROOT) not in where, where
    pip_list = deployment.run(["pip", "list", "--format", "json", "--exclude-editable"])
    installed = {p["name"].lower() for p in json.loads(pip_list.splitlines()[0])}
    assert {"flask-plugboard", "plugboard-surveys", "psycopg", "gunicorn"} <= installed

    upgrade = deployment.step("flask", "upgrade")
    create_admin = deployment.step("flask", "create-admin")
    run_here = [upgrade, create_admin, deployment.step("gunicorn")]
    unknown = [s for s in deployment.steps if s[0] not in ("export", "pip") and s not in run_here]
    assert not unknown, f"the README has production steps this test does not run: {unknown}"

    deployment.run(upgrade)
    # The README's step asks for the password; a script gives it on standard input.
    password = secrets.token_urlsafe(18)
    made = deployment.run([*create_admin, "--password-stdin"], stdin=f"{password}\n")
    # The name: after --username, or the first word after create-admin.
    after = "--username" if "--username" in create_admin else "create-admin"
    name = create_admin[create_admin.index(after) + 1]
    assert name in made, made

    # /metrics turned on as the README says, with a scraper's token of the test's.
    scrape_token = secrets.token_hex(32)
    (metrics_block,) = [b for b in _console_blocks("## Production") if "STATS_METRICS" in b]
    metrics_env = _exports(_steps(metrics_block), {"FLASK_STATS_METRICS_TOKEN": scrape_token})
    server = Server(deployment, metrics_env)
    try:
        assert server.wait(), f"gunicorn exited {server.process.returncode}:\n{server.output()}"
        assert _call(server.port, "GET", "/healthz")[0] == 200

        status, body = _call(
            server.port, "POST", "/login", {"username": name, "password": password}
        )
        assert status == 200, body
        token = json.loads(body)["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        status, body = _call(
            server.port,
            "POST",
            "/addsurvey",
            {**bearer, "name": "Lunch", "duedate": "2099-12-31 10:11:12"},
        )
        assert (status, json.loads(body)) == (200, {"message": "Survey Lunch was created"})
        status, body = _call(server.port, "GET", "/getsurveys", bearer)
        assert status == 200 and [s["name"] for s in json.loads(body)["surveys"]] == ["Lunch"]

        # /metrics as the README turns it on: the scraper's token, and only that.
        assert _call(server.port, "GET", "/metrics")[0] == 401
        wrong = {"Authorization": f"Bearer {secrets.token_hex(32)}"}
        assert _call(server.port, "GET", "/metrics", wrong)[0] == 401
        scrape = {"Authorization": f"Bearer {scrape_token}"}
        # Each worker adds its figures into Redis every STATS_FLUSH_INTERVAL (1 s): the
        # survey may have been made by the other worker.
        deadline = time.monotonic() + 30
        while True:
            status, body = _call(server.port, "GET", "/metrics", scrape)
            assert status == 200, body
            if _count(body, 'endpoint="/addsurvey"') == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert _count(body, 'endpoint="/addsurvey"') == 1, body
    finally:
        server.stop()
    assert server.process.returncode == 0, server.output()


def test_a_bad_setting_stops_gunicorn_naming_the_variable(deployment: Deployment) -> None:
    server = Server(deployment, {"FLASK_RATELIMIT_DEFAULT": "banana"})
    try:
        served = server.wait()
    finally:
        server.stop()
    output = server.output()
    assert not served, f"gunicorn served with FLASK_RATELIMIT_DEFAULT=banana:\n{output}"
    assert server.process.returncode != 0, output
    assert "FLASK_RATELIMIT_DEFAULT" in output and "banana" in output, output
    assert "Traceback" not in output, output
