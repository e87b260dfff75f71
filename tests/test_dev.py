"""``dev.py``, the one script of a fresh clone: its command line."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plugboard_dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("command", ["run", "demo"])
def test_run_and_demo_serve_on_port_5000_unless_told(dev: ModuleType, command: str) -> None:
    parser = dev.build_parser()
    assert parser.parse_args([command]).port == 5000
    args = parser.parse_args([command, "--port", "8123"])
    argv = dev.serve_argv(Path("/venv/bin/flask"), "app", args.port)
    assert argv[-4:] == ["--host", "127.0.0.1", "--port", "8123"]


@pytest.mark.parametrize("port", ["http", "0", "70000", "-1"])
def test_a_port_that_is_none_is_refused_naming_it(
    dev: ModuleType, port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        dev.build_parser().parse_args(["run", f"--port={port}"])
    assert exc.value.code == 2
    assert f"{port!r} is not a port: give a number from 1 to 65535" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_build_folders_are_ignored_at_any_depth() -> None:
    paths = ["build/lib/x.py", "apps/surveys/build/lib/x.py", "examples/plugin/build/x.py"]
    proc = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths],  # noqa: S607 (git from PATH)
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.stdout.split() == paths, proc.stdout + proc.stderr
