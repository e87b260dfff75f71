#!/usr/bin/env python3
"""Set up and run Plugboard from a fresh clone, with nothing but python3 (3.11+).

    python3 dev.py run              # set up, then serve Surveys at http://127.0.0.1:5000
    python3 dev.py demo             # the small demo of the bundled plugins, same address
    python3 dev.py run --port 8000  # run and demo: another port on 127.0.0.1 (default 5000)
    python3 dev.py test             # set up, then run the whole test suite
    python3 dev.py test --deps lowest   # the suite against the lowest supported versions
    python3 dev.py lint             # ruff and mypy (strict)
    python3 dev.py bench            # the benchmarks in bench/ (wrk for the load test)

Each command creates its virtual environment on first use (``.venv``, or
``.venv-lowest``) and reinstalls when pyproject.toml or the constraints change. Browser
tests need Debian's chromium: as root, ``test`` installs it with apt-get when missing;
``bench`` installs wrk the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
EXTRAS = "test,dev,bench"
#: The survey service, its own distribution inside this repo, installed beside the host.
SURVEYS = "apps/surveys"
SURVEYS_EXTRAS = "postgres"
CHROMIUM = "/usr/bin/chromium"


def _say(message: str) -> None:
    print(f"dev.py: {message}", flush=True)


def _run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)


def _stamp(deps: str) -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", f"{SURVEYS}/pyproject.toml", f"constraints/{deps}.txt"):
        path = ROOT / name
        if path.exists():
            digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_venv(deps: str = "newest") -> Path:
    """Create or refresh the virtual environment for ``deps``; return its python."""
    env_dir = ROOT / (".venv" if deps == "newest" else f".venv-{deps}")
    python = env_dir / "bin" / "python"
    stamp_file = env_dir / ".plugboard-stamp"
    stamp = _stamp(deps)
    if python.exists() and stamp_file.exists() and stamp_file.read_text() == stamp:
        return python
    if env_dir.exists() and not python.exists():
        shutil.rmtree(env_dir)
    if not python.exists():
        _say(f"creating {env_dir.name}")
        venv.EnvBuilder(with_pip=True).create(env_dir)
    _say(f"installing flask-plugboard[{EXTRAS}] into {env_dir.name} ({deps} dependencies)")
    pip: list[str | Path] = [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    _run(*pip, "--upgrade", "pip")
    targets = ["-e", f".[{EXTRAS}]", "-e", f"{SURVEYS}[{SURVEYS_EXTRAS}]"]
    args = [*pip, "--upgrade", "--upgrade-strategy", "eager", *targets]
    constraints = ROOT / "constraints" / f"{deps}.txt"
    if deps != "newest":
        if not constraints.exists():
            sys.exit(f"dev.py: no constraints file {constraints}")
        args = [*pip, "-c", constraints, *targets]
    _run(*args)
    stamp_file.write_text(stamp)
    return python


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests when it is missing and we may."""
    if os.path.exists(CHROMIUM):
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        _say("chromium is not installed and cannot be installed here: browser tests will skip")
        return
    _say("installing Debian's chromium for the browser tests")
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-qq"], check=True, env=quiet, stdout=subprocess.DEVNULL)
    subprocess.run(
        [apt, "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        check=True,
        env=quiet,
        stdout=subprocess.DEVNULL,
    )


def serve_argv(flask: Path, app: str, port: int) -> list[str]:
    """The ``flask run`` command line that serves ``app`` on 127.0.0.1:``port``."""
    return [str(flask), "--app", app, "run", "--host", "127.0.0.1", "--port", str(port)]


def _serve(flask: Path, app: str, port: int, env: dict[str, str] | None = None) -> None:
    # Replaces this process with the dev server, no shell.
    os.execve(flask, serve_argv(flask, app, port), env or dict(os.environ))  # noqa: S606


def port_number(text: str) -> int:
    """A TCP port for ``--port``: an integer from 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 1 to 65535")
    return port


def ensure_wrk() -> None:
    """Install Debian's wrk, the load generator of bench/bench_surveys_load.py, when it is
    missing and we may."""
    if shutil.which("wrk"):
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        _say("wrk is not installed and cannot be installed here: the load test will skip")
        return
    _say("installing Debian's wrk for the load test")
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-qq"], check=True, env=quiet, stdout=subprocess.DEVNULL)
    subprocess.run(
        [apt, "install", "-y", "-qq", "--no-install-recommends", "wrk"],
        check=True,
        env=quiet,
        stdout=subprocess.DEVNULL,
    )


def cmd_run(args: argparse.Namespace) -> int:
    """The survey service on its embedded defaults: SQLite and a development secret key
    in ./instance, in-process rate limits and statistics, reset e-mails in the log."""
    python = ensure_venv()
    flask = python.parent / "flask"
    env = {
        **os.environ,
        "SURVEYS_ENVIRONMENT": "development",
        "INSTANCE_PATH": str(ROOT / "instance"),
    }
    _say("preparing the database (flask --app plugboard_surveys db upgrade)")
    _run(flask, "--app", "plugboard_surveys", "db", "upgrade", env=env)
    _say(
        f"serving Surveys at http://127.0.0.1:{args.port} (Ctrl+C stops it); API docs at /docs; "
        f"an administrator: {flask} --app plugboard_surveys auth create-admin NAME "
        "(with SURVEYS_ENVIRONMENT=development INSTANCE_PATH=instance)"
    )
    _serve(flask, "plugboard_surveys", args.port, env)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    python = ensure_venv()
    _say(f"serving the demo at http://127.0.0.1:{args.port} (Ctrl+C stops it)")
    _serve(python.parent / "flask", "examples/demo.py", args.port)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    python = ensure_venv(args.deps)
    ensure_chromium()
    versions = subprocess.run(
        [
            python,
            "-c",
            "from importlib.metadata import version as v; "
            "print(*(f'{p} {v(p)}' for p in ('flask', 'werkzeug', 'pluggy', 'sqlalchemy')))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    _say(f"testing with {args.deps} dependencies: {versions}")
    # loadgroup: the tests of one xdist_group share a worker (and its module fixtures).
    workers = ["-n", str(args.workers), "--dist", "loadgroup"] if args.workers != "0" else []
    # Tests that install the project afresh (newest dependencies) skip in the lowest run.
    env = {**os.environ, "PLUGBOARD_TEST_DEPS": args.deps}
    result = subprocess.run(
        [python, "-m", "pytest", *workers, *args.pytest_args], cwd=ROOT, env=env
    )
    return result.returncode


def cmd_lint(args: argparse.Namespace) -> int:
    python = ensure_venv()
    bin_dir = python.parent
    ruff = subprocess.run([bin_dir / "ruff", "check", "."], cwd=ROOT).returncode
    mypy = subprocess.run([bin_dir / "mypy"], cwd=ROOT).returncode
    return ruff or mypy


def cmd_bench(args: argparse.Namespace) -> int:
    python = ensure_venv()
    ensure_wrk()
    status = 0
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        _say(f"running {script.relative_to(ROOT)}")
        status |= subprocess.run([python, script, *args.bench_args], cwd=ROOT).returncode
    return status


def _check_python() -> None:
    # Runs on whatever python3 the user has; say clearly when it is too old.
    version = sys.version_info[:2]
    if version < (3, 11):  # noqa: UP036 - dev.py itself must run on older Pythons to say so
        sys.exit(f"dev.py: Python 3.11 or newer is needed (found {sys.version.split()[0]})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="set up and serve Surveys at http://127.0.0.1:PORT")
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="set up and serve the plugins demo instead")
    demo.set_defaults(func=cmd_demo)
    for serving in (run, demo):
        serving.add_argument(
            "--port", type=port_number, default=5000, help="port on 127.0.0.1 (default 5000)"
        )
    test = sub.add_parser("test", help="set up and run the test suite")
    test.add_argument("--deps", choices=["newest", "lowest"], default="newest")
    test.add_argument("--workers", default="auto", help="pytest-xdist workers (0: none)")
    test.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    test.set_defaults(func=cmd_test)
    sub.add_parser("lint", help="ruff and mypy").set_defaults(func=cmd_lint)
    bench = sub.add_parser("bench", help="run the benchmarks")
    bench.add_argument("bench_args", nargs="*")
    bench.set_defaults(func=cmd_bench)
    return parser


def main() -> int:
    _check_python()
    args = build_parser().parse_args()
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
