"""Load test of the survey service: gunicorn with its production config, PostgreSQL,
Redis, every plugin on, and wrk on loopback.

    python bench/bench_surveys_load.py [--quick] [--duration S] [--connections N]
        [--compare [--compare-rounds N]] [--profile] [--postgres URL] [--redis URL]

Unlike the other scripts here, this one goes through sockets and a real server: it
measures what a deployment on this machine would answer, the load generator (wrk)
included, on the same cores. The service runs as in production:
``gunicorn -c python:plugboard_surveys.gunicorn_conf 'plugboard_surveys:create_app()'``
with DATABASE_URL on a PostgreSQL schema of its own (created and dropped here), REDIS_URL
(rate limits and statistics shared in Redis, under key prefixes of this run's, deleted
afterwards) and the default plugin list (timer, reqlog, stats, cors, ratelimit, auth,
apidocs, surveys). reqlog writes its JSON lines to gunicorn's stderr, here a file. Rate
limits are loaded but set so as not to cap the load: FLASK_SURVEYS_SUBMIT_LIMIT='' and
FLASK_RATELIMIT_DEFAULT='' (the routes measured then carry none).

Scenarios (each: a short warm-up, then ``wrk --latency`` for --duration seconds):

- ``GET /activesurveys``: 20 active surveys;
- ``GET /getsurveyquestions``: a survey of 10 questions (header idSurvey);
- ``POST /addreply``: one answer to a choice question (header idQuestion, JSON body);
- ``POST /api/v1/surveys/{id}/submissions``: answers to the 10 questions, when the API
  v1 serves it;
- ``GET /activesurveys`` on bare Flask: the same JSON from a one-route app under the same
  gunicorn config, the ceiling the service is compared with.

Per scenario: requests/s, latency percentiles, and "cpu ms", the CPU time gunicorn's
processes took per request (user and system, from /proc): the figure that other work on
a shared machine disturbs least. Each answer is checked once before it is timed, and the
POST scenarios' submissions are counted in the database before and after, each time once
the requests wrk left in flight are stored: the count is then what wrk saw answered plus
at most --connections (those in flight when it stopped). Never fails on a figure.

``--compare`` also runs the three legacy scenarios under sync and gthread workers (the
choice made in gunicorn_conf.py), three rounds taking turns, the median round of each;
``--profile`` samples the workers with py-spy (``pip install py-spy``) during
``GET /activesurveys`` and says where their Python time goes. Needs ``wrk``
(``apt-get install -y wrk``; ``python3 dev.py bench`` installs it when run as root).
Writes ``bench/results/surveys_load.json``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import functools
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
import sqlalchemy as sa
from _harness import BARE, RESULTS

from flask_plugboard.db import get_db, upgrade_database
from flask_plugboard.plugins.auth import register_user
from flask_plugboard.testing import postgres_schema, schema_url
from plugboard_surveys import QuestionDraft, create_app, create_survey

ROOT = Path(__file__).resolve().parents[1]
#: The production gunicorn config, as the README names it.
CONF_MODULE = "plugboard_surveys.gunicorn_conf"
CONF = f"python:{CONF_MODULE}"
POSTGRES_URL = os.environ.get(
    "PLUGBOARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PLUGBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WRK_MISSING = (
    "wrk is not installed: on Debian or Ubuntu `apt-get install -y wrk` (as root; "
    "`python3 dev.py bench` does it for you), on macOS `brew install wrk`, else build it "
    "from https://github.com/wg/wrk"
)
BARE_APP = """
import json
import os

from flask import Flask, jsonify

with open(os.environ["BENCH_BARE_BODY"], encoding="utf-8") as file:
    PAYLOAD = json.load(file)

app = Flask(__name__)


@app.get("/activesurveys")
def active_surveys():
    return jsonify(PAYLOAD)
"""
#: What wrk's Lua script adds to a scenario: write the figures to a file, as JSON.
DONE_LUA = """
done = function(summary, latency, requests)
  local out = io.open(%s, "w")
  out:write(string.format(
    '{"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, '
    .. '"status": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, '
    .. '"max_us": %%d}',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  out:close()
end
"""


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One request wrk sends over and over, and the answer it must get."""

    name: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    check: Callable[[int, Any], bool]
    counts: bool = False  # a submission: counted in the database afterwards


@dataclasses.dataclass(frozen=True)
class Seeded:
    """What the database holds before the load: the ids the scenarios name."""

    big_survey: int
    choice_question: int
    answers: list[dict[str, Any]]
    surveys: int


def _listening(url: str, port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or port), 1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _schema(url: str) -> Iterator[str]:
    """A PostgreSQL schema of this run's; the DATABASE_URL that names it."""
    with postgres_schema(url, "bench_surveys") as name:
        yield schema_url(url, name)


def _seed(database_url: str, instance: Path) -> Seeded:
    """Migrate, then add an owner, 19 active surveys of 3 questions and one of 10."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secrets.token_hex(32)},
        instance_path=str(instance),
    )
    upgrade_database(app)
    with app.app_context():
        owner = register_user("bench", "a quiet tram to Lisbon")
        small = [
            QuestionDraft("single_choice", "Where?", options=["Noodles", "Tacos"]),
            QuestionDraft("rating", "How hungry?"),
            QuestionDraft("text", "Anything else?"),
        ]
        for i in range(19):
            create_survey(
                owner,
                name=f"Lunch {i}",
                description="Friday's lunch.",
                is_active=True,
                questions=small,
            )
        options = ["Red", "Green", "Blue", "Yellow"]
        drafts = [
            *(QuestionDraft("single_choice", f"Colour {i}?", options=options) for i in range(4)),
            *(QuestionDraft("multiple_choice", f"Colours {i}?", options=options) for i in range(2)),
            *(QuestionDraft("rating", f"Score {i}?") for i in range(2)),
            QuestionDraft("number", "How many?"),
            QuestionDraft("text", "Why?"),
        ]
        values: dict[str, Any] = {
            "single_choice": "Green",
            "multiple_choice": ["Red", "Blue"],
            "rating": 4,
            "number": 7,
            "text": "Because it is Friday.",
        }
        big = create_survey(
            owner,
            name="Colours",
            description="Ten questions.",
            is_active=True,
            questions=drafts,
        )
        seeded = Seeded(
            big_survey=big.id,
            choice_question=big.questions[0].id,
            answers=[{"question_id": q.id, "value": values[q.kind]} for q in big.questions],
            surveys=20,
        )
        for engine in get_db(app).engines.values():
            engine.dispose()
    return seeded


def _submissions(database_url: str, survey_id: int) -> tuple[int, int]:
    """(submissions stored, the survey's submission_count) for ``survey_id``, read in
    one statement: the same snapshot, even while late requests still commit."""
    engine = sa.create_engine(database_url)
    query = sa.text(
        "SELECT (SELECT count(*) FROM surveys_submission WHERE survey_id = :id), "
        "(SELECT submission_count FROM surveys_survey WHERE id = :id)"
    )
    try:
        with engine.connect() as connection:
            stored, counted = connection.execute(query, {"id": survey_id}).one()
    finally:
        engine.dispose()
    return int(stored or 0), int(counted or 0)


def _cpu_seconds(master: int | None) -> float:
    """CPU time (user and system) of gunicorn's master and its workers so far, those it
    has replaced included; 0 without a master or /proc."""
    if master is None or not Path("/proc").is_dir():
        return 0.0
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(entry.name) == master:
            # Its own time, and that of the workers it has reaped (max_requests).
            total += sum(int(f) for f in fields[11:15])
        elif int(fields[1]) == master:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _settled(database_url: str, survey_id: int) -> tuple[int, int]:
    """:func:`_submissions` once no request is adding any more: wrk stops with up to
    --connections requests in flight, which the server still answers (to nobody) and
    stores. Counted before they are, they would be charged to the next count, as if
    more were stored than answered, or missed by it, as if some were lost."""
    last = _submissions(database_url, survey_id)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = _submissions(database_url, survey_id)
        if now == last:
            break
        last = now
    return last


def _count_into(into: list[int], database_url: str, survey_id: int) -> None:
    """Append the submissions stored for ``survey_id`` to ``into``, once settled."""
    into.append(_settled(database_url, survey_id)[0])


def _gunicorn_options() -> list[str]:
    # Gunicorn 25.1+ opens a control socket at one path per user; not wanted here.
    major, minor = (int(p) for p in version("gunicorn").split(".")[:2])
    return ["--no-control-socket"] if (major, minor) >= (25, 1) else []


def _request(port: int, scenario: Scenario) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = dict(scenario.headers)
        body = None
        if scenario.body is not None:
            body = json.dumps(scenario.body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(scenario.method, scenario.path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
    finally:
        connection.close()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


@contextlib.contextmanager
def _server(
    app_spec: str, env: dict[str, str], workdir: Path, ready: str, options: Sequence[str] = ()
) -> Iterator[tuple[int, subprocess.Popen[bytes], Path]]:
    """gunicorn -c CONF serving ``app_spec`` on a free loopback port."""
    port = _free_port()
    log = workdir / f"gunicorn-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                CONF,
                "-b",
                f"127.0.0.1:{port}",
                *_gunicorn_options(),
                *options,
                app_spec,
            ],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start ({app_spec}):\n{log.read_text()[-4000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", ready)
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        yield port, server, log
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _lua(scenario: Scenario, result: Path) -> str:
    lines = [f'wrk.method = "{scenario.method}"']
    if scenario.body is not None:
        lines.append(f"wrk.body = {json.dumps(json.dumps(scenario.body))}")
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    for name, value in scenario.headers.items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    return "\n".join(lines) + DONE_LUA % json.dumps(str(result))


def _wrk(
    wrk: str,
    port: int,
    scenario: Scenario,
    args: argparse.Namespace,
    workdir: Path,
    duration: int | None = None,
    before_timing: Callable[[], None] | None = None,
    master: int | None = None,
) -> dict[str, float]:
    """Warm up, then run wrk for the scenario; its figures (latencies in milliseconds).
    ``before_timing()`` runs between the two. With the ``master`` process id: the CPU
    time gunicorn took per request, a figure other work on the machine disturbs less
    than requests/s."""
    status, body = _request(port, scenario)
    if not scenario.check(status, body):
        raise SystemExit(f"{scenario.name}: unexpected answer {status} {str(body)[:300]}")
    result = workdir / "wrk.json"
    script = workdir / "scenario.lua"
    script.write_text(_lua(scenario, result))
    url = f"http://127.0.0.1:{port}{scenario.path}"
    seconds = duration or args.duration
    for length, extra in ((args.warmup, []), (seconds, ["--latency"])):
        subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [
                wrk,
                "-t",
                str(args.threads),
                "-c",
                str(args.connections),
                "-d",
                f"{round(length)}s",
                "--timeout",
                "10s",
                *extra,
                "-s",
                str(script),
                url,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if not extra:
            if before_timing is not None:
                before_timing()
            cpu_before = _cpu_seconds(master)
    cpu = _cpu_seconds(master) - cpu_before
    raw = json.loads(result.read_text())
    elapsed = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect", "read", "write", "timeout"))
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / elapsed, 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "cpu_ms_per_request": round(cpu * 1000 / raw["requests"], 3) if raw["requests"] else 0,
        "non_2xx": raw["status"],
        "socket_errors": errors,
    }


def _scenarios(seeded: Seeded, prefix: str) -> list[Scenario]:
    def message(text: str) -> Callable[[int, Any], bool]:
        return lambda status, body: (
            status == 200 and isinstance(body, dict) and (body.get("message") == text)
        )

    return [
        Scenario(
            f"GET /activesurveys ({seeded.surveys} surveys)",
            "GET",
            "/activesurveys",
            {},
            None,
            lambda s, b: (
                s == 200 and isinstance(b, dict) and len(b.get("surveys", [])) == seeded.surveys
            ),
        ),
        Scenario(
            "GET /getsurveyquestions (10 questions)",
            "GET",
            "/getsurveyquestions",
            {"idSurvey": str(seeded.big_survey)},
            None,
            lambda s, b: s == 200 and isinstance(b, dict) and len(b.get("questions", [])) == 10,
        ),
        Scenario(
            "POST /addreply",
            "POST",
            "/addreply",
            {"idQuestion": str(seeded.choice_question)},
            {"reply": "Green"},
            message("Reply was added"),
            counts=True,
        ),
        Scenario(
            "POST /api/v1/.../submissions (10 answers)",
            "POST",
            f"{prefix}/surveys/{seeded.big_survey}/submissions",
            {},
            {"answers": seeded.answers},
            lambda s, b: s == 201 and isinstance(b, dict) and "id" in b,
            counts=True,
        ),
    ]


def _api_serves(port: int, scenario: Scenario) -> tuple[bool, str]:
    status, body = _request(port, scenario)
    return scenario.check(status, body), f"{status} {json.dumps(body)[:200]}"


def _profile(master: subprocess.Popen[bytes], seconds: float, workdir: Path) -> dict[str, float]:
    """Sample the workers with py-spy; the share of their busy time per part of the stack."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("  py-spy is not installed (pip install py-spy): no profile")
        return {}
    raw = workdir / "profile.txt"
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        # --gil: only the thread holding the GIL, so time spent in system calls and
        # waiting for PostgreSQL (the GIL released) is not counted as work.
        [
            spy,
            "record",
            "--subprocesses",
            "--gil",
            "-p",
            str(master.pid),
            "-d",
            str(int(seconds)),
            "-r",
            "200",
            "-f",
            "raw",
            "-o",
            str(raw),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Busy samples inside the app, by the outermost frame of each part.
    parts = {
        "psycopg (talking to PostgreSQL)": "(psycopg/",
        "SQLAlchemy (ORM, statements, pool)": "(sqlalchemy/",
        "the surveys views": "(plugboard_surveys/",
        "auth": "/plugins/auth/",
        "reqlog": "/plugins/reqlog/",
        "stats": "/plugins/stats/",
        "timer": "/plugins/timer.py",
        "cors": "/plugins/cors/",
        "ratelimit": "/plugins/ratelimit/",
        "JSON (encoding)": "(json/",
        "werkzeug": "(werkzeug/",
        "flask": "(flask/",
        "gunicorn (HTTP parsing, sockets)": "(gunicorn/",
    }
    shares: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "gunicorn/workers" not in stack:
            continue
        total += int(count)
        frames = stack.split(";")
        # The deepest part the stack is in gets the sample (SQLAlchemy calling psycopg:
        # psycopg), so the shares add up.
        owner = "other"
        for frame in frames:
            for name, needle in parts.items():
                if needle in frame:
                    owner = name
        shares[owner] += int(count)
    return {name: round(100 * n / total, 1) for name, n in shares.most_common()} if total else {}


def _print(title: str, rows: dict[str, dict[str, float]]) -> None:
    print(title)
    width = max(len(name) for name in rows) + 2
    print(
        f"{'scenario':<{width}} {'req/s':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
        f"{'cpu ms':>6} errors"
    )
    for name, r in rows.items():
        errors = int(r["non_2xx"] + r["socket_errors"])
        print(
            f"{name:<{width}} {r['rps']:>8.1f} {r['p50_ms']:>7.2f} {r['p90_ms']:>7.2f} "
            f"{r['p99_ms']:>7.2f} {r['cpu_ms_per_request']:>6.2f} {errors:>6}"
        )


def _settings(env: dict[str, str]) -> dict[str, Any]:
    """What the gunicorn config decides with this environment."""
    code = (
        "import json, runpy, sys; ns = runpy.run_module(sys.argv[1]); print(json.dumps({k: ns[k] "
        "for k in ('workers', 'worker_class', 'threads', 'preload_app', 'max_requests')}))"
    )
    out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [sys.executable, "-c", code, CONF_MODULE],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    settings: dict[str, Any] = json.loads(out)
    return settings


def _clean_redis(url: str, prefixes: Sequence[str]) -> int:
    client = redis.Redis.from_url(url)
    try:
        found = 0
        for prefix in prefixes:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            found += len(keys)
            if keys:
                client.delete(*keys)
        return found
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s per scenario, not 10")
    parser.add_argument("--duration", type=int, help="seconds per scenario (10)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per scenario (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--compare", action="store_true", help="also sync against gthread")
    parser.add_argument("--compare-rounds", type=int, default=3, help="rounds of --compare (3)")
    # dev.py bench passes the in-process benchmarks' options to every script.
    parser.add_argument("--rounds", help=argparse.SUPPRESS)
    parser.add_argument("--batch", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="sample the workers (py-spy)")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="PostgreSQL URL")
    parser.add_argument("--redis", default=REDIS_URL, help="Redis URL")
    args = parser.parse_args()
    args.duration = args.duration or (3 if args.quick else 10)
    args.warmup = args.warmup or (1 if args.quick else 2)

    wrk = shutil.which("wrk")
    if wrk is None:
        print(WRK_MISSING)
        return
    for url, port, what in ((args.postgres, 5432, "PostgreSQL"), (args.redis, 6379, "Redis")):
        if not _listening(url, port):
            print(f"{what} does not answer at {url}: this benchmark needs it (--{what.lower()})")
            return
    load = os.getloadavg()[0]
    run_id = uuid.uuid4().hex[:10]
    redis_prefixes = [f"bench:{run_id}:stats:", f"bench-{run_id}"]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, _schema(args.postgres) as database_url:
        workdir = Path(tmp)
        seeded = _seed(database_url, workdir / "instance")
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("FLASK_", "GUNICORN_")) and k != "WEB_CONCURRENCY"
            },
            "DATABASE_URL": database_url,
            "REDIS_URL": args.redis,
            "SECRET_KEY": secrets.token_hex(32),
            "JWT_SECRET_KEY": secrets.token_hex(32),
            "INSTANCE_PATH": str(workdir / "instance"),
            "FLASK_SURVEYS_SUBMIT_LIMIT": "",
            "FLASK_RATELIMIT_DEFAULT": "",
            "FLASK_STATS_REDIS_PREFIX": redis_prefixes[0],
            "FLASK_RATELIMIT_KEY_PREFIX": redis_prefixes[1],
        }
        config = _settings(env)
        prefix = "/api/v1"
        scenarios = _scenarios(seeded, prefix)
        results: dict[str, dict[str, float]] = {}
        notes: list[str] = []
        profile: dict[str, float] = {}
        with _server("plugboard_surveys:create_app()", env, workdir, "/readyz") as (
            port,
            master,
            log,
        ):
            for scenario in scenarios:
                if "api/v1" in scenario.path:
                    serves, answer = _api_serves(port, scenario)
                    if not serves:
                        notes.append(f"{scenario.name} left out: the API v1 answered {answer}")
                        continue
                before: list[int] = []
                results[scenario.name] = _wrk(
                    wrk,
                    port,
                    scenario,
                    args,
                    workdir,
                    before_timing=functools.partial(
                        _count_into, before, database_url, seeded.big_survey
                    ),
                    master=master.pid,
                )
                if scenario.counts:
                    stored, counted = _settled(database_url, seeded.big_survey)
                    results[scenario.name]["stored"] = stored - before[0]
                    results[scenario.name]["count_matches"] = float(stored == counted)
            _, body = _request(port, scenarios[0])
            if args.profile:
                print(f"profiling the workers during {scenarios[0].name} ...")
                profile = _profile_during(wrk, port, scenarios[0], args, workdir, master)
        reqlog_lines = sum(1 for line in log.read_text().splitlines() if line.startswith('{"'))
        (workdir / "bare.json").write_text(json.dumps(body))
        (workdir / "bare_surveys.py").write_text(BARE_APP)
        bare_env = {**env, "BENCH_BARE_BODY": str(workdir / "bare.json")}
        with _server("bare_surveys:app", bare_env, workdir, "/activesurveys") as (
            port,
            bare_master,
            _,
        ):
            bare = dataclasses.replace(scenarios[0], name=f"GET /activesurveys, {BARE}")
            results[bare.name] = _wrk(wrk, port, bare, args, workdir, master=bare_master.pid)
        compare = _compare(wrk, env, workdir, scenarios[:3], args) if args.compare else {}
        stats_keys = _clean_redis(args.redis, redis_prefixes)
    elapsed = time.perf_counter() - started

    cores = len(os.sched_getaffinity(0))
    threads = f" x {config['threads']} threads" if config["worker_class"] == "gthread" else ""
    _print(
        f"gunicorn_conf: {config['workers']} {config['worker_class']} workers{threads}, "
        f"preload; PostgreSQL, Redis, every plugin; wrk {args.threads} thread(s), "
        f"{args.connections} connections, {args.duration:g} s per scenario ({elapsed:.0f} s)",
        results,
    )
    ratio = results[scenarios[0].name]["rps"] / results[f"GET /activesurveys, {BARE}"]["rps"]
    print(f"GET /activesurveys: the service answers {ratio:.2f}x the requests/s of bare Flask")
    for name, r in results.items():
        if "stored" in r:
            match = "equals" if r["count_matches"] else "DIFFERS FROM"
            # Up to --connections more than wrk counted: those in flight when it stopped,
            # answered after it stopped listening.
            extra = int(r["stored"] - r["requests"])
            verdict = (
                f"{-extra} LOST" if extra < 0
                else f"{extra} more, in flight when wrk stopped"
                if extra <= args.connections
                else f"{extra} MORE than answered and in flight"
            )
            print(
                f"{name}: {int(r['stored'])} submissions stored for {int(r['requests'])} "
                f"answered ({verdict}); subCount {match} the rows"
            )
    print(
        "rate limits: the ratelimit plugin is loaded, with no limit on these routes "
        "(SURVEYS_SUBMIT_LIMIT='', RATELIMIT_DEFAULT='')"
    )
    print(f"reqlog wrote {reqlog_lines} lines; stats left {stats_keys} keys in Redis (deleted)")
    print(
        f"machine: {cores} cores, load average {load:.2f} before the run (other work on "
        "these cores lowers every figure)"
    )
    for note in notes:
        print(note)
    if compare:
        for name, rows in compare.items():
            _print(f"--compare: {name}", rows)
    if profile:
        print("where the workers' busy time goes (py-spy samples, % of those in the app):")
        for part, share in profile.items():
            print(f"  {share:5.1f}%  {part}")
    RESULTS.mkdir(exist_ok=True)
    report = {
        "benchmark": "the survey service under gunicorn with PostgreSQL and Redis, wrk on "
        "loopback; latencies in milliseconds",
        "duration_s": args.duration,
        "connections": args.connections,
        "wrk_threads": args.threads,
        "seconds": round(elapsed, 1),
        "cores": cores,
        "load_average_before": round(load, 2),
        "python": platform.python_version(),
        **{
            pkg: version(pkg)
            for pkg in ("flask", "werkzeug", "gunicorn", "sqlalchemy", "psycopg", "redis")
        },
        "gunicorn_config": config,
        "results": results,
        "service_over_bare_flask": round(ratio, 3),
        "compare": compare,
        "profile_percent": profile,
        "notes": notes,
    }
    path = RESULTS / "surveys_load.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {path}")


def _profile_during(
    wrk: str,
    port: int,
    scenario: Scenario,
    args: argparse.Namespace,
    workdir: Path,
    master: subprocess.Popen[bytes],
) -> dict[str, float]:
    script = workdir / "profile.lua"
    script.write_text(_lua(scenario, workdir / "profile-wrk.json"))
    load = subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
        [
            wrk,
            "-t",
            str(args.threads),
            "-c",
            str(args.connections),
            "-d",
            f"{args.duration + 4}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}{scenario.path}",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(2)
        return _profile(master, args.duration, workdir)
    finally:
        load.wait()


#: Worker set-ups --compare runs, each against the same scenarios (2 x cores + 1 workers).
_SETUPS = {
    "sync": ["-k", "sync"],
    "gthread x 2 threads": ["-k", "gthread", "--threads", "2"],
    "gthread x 4 threads": ["-k", "gthread", "--threads", "4"],
}


def _compare(
    wrk: str,
    env: dict[str, str],
    workdir: Path,
    scenarios: Sequence[Scenario],
    args: argparse.Namespace,
) -> dict[str, dict[str, dict[str, float]]]:
    """Each scenario under each worker set-up, --compare-rounds rounds taking turns (the
    set-up that starts changes each round); per set-up the round of median req/s, with
    the median CPU time per request of all its rounds."""
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        s.name: {setup: [] for setup in _SETUPS} for s in scenarios
    }
    for round_ in range(args.compare_rounds):
        names = list(_SETUPS)
        shift = round_ % len(names)
        for setup in names[shift:] + names[:shift]:
            with _server(
                "plugboard_surveys:create_app()", env, workdir, "/readyz", _SETUPS[setup]
            ) as (port, master, _):
                for scenario in scenarios:
                    seconds = max(2, args.duration // 2)
                    runs[scenario.name][setup].append(
                        _wrk(wrk, port, scenario, args, workdir, seconds, master=master.pid)
                    )
    rows: dict[str, dict[str, dict[str, float]]] = {}
    for name, by_setup in runs.items():
        rows[name] = {}
        for setup, figures in by_setup.items():
            ordered = sorted(figures, key=lambda f: f["rps"])
            cpu = sorted(f["cpu_ms_per_request"] for f in figures)
            rows[name][setup] = {
                **ordered[len(ordered) // 2],
                "cpu_ms_per_request": cpu[len(cpu) // 2],
            }
    return rows


if __name__ == "__main__":
    main()
