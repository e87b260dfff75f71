"""``flask plugins new NAME``: the package it writes is ready to test and publish."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from flask_plugboard import Plugin
from flask_plugboard._discovery import import_object
from flask_plugboard._scaffold import render_files
from flask_plugboard.testing import build_app

EXPECTED_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/plugboard_audit_log/__init__.py",
    "src/plugboard_audit_log/migrations/0001_create_audit_log_visit.py",
    "src/plugboard_audit_log/static/audit_log.css",
    "src/plugboard_audit_log/templates/audit_log/index.html",
    "tests/test_audit_log.py",
}


@pytest.fixture
def app() -> Flask:
    return build_app([])


def new(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["plugins", "new", *args])
    return result.exit_code, result.output


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_new_writes_the_package_and_says_what_to_do_next(app: Flask, tmp_path: Path) -> None:
    code, output = new(app, "audit_log", "--path", str(tmp_path))
    assert code == 0, output
    root = tmp_path / "plugboard-audit_log"
    assert files_under(root) == EXPECTED_FILES
    assert f"Created {root}:" in output
    assert "  src/plugboard_audit_log/__init__.py" in output
    assert "pytest" in output
    assert "pip install /path/to/plugboard" in output
    assert 'PLUGBOARD_PLUGINS = ["audit_log"]' in output


def test_new_works_without_an_app_in_an_empty_folder(tmp_path: Path) -> None:
    # No FLASK_APP and no app module here: `flask plugins new` would answer
    # "No such command 'plugins'"; the plugboard command needs none.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    proc = subprocess.run(
        [sys.executable, "-m", "flask_plugboard", "new", "audit_log"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert files_under(tmp_path / "plugboard-audit_log") == EXPECTED_FILES
    assert "Created plugboard-audit_log:" in proc.stdout


def test_the_plugboard_script_is_declared_and_runs_new(tmp_path: Path) -> None:
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    target = pyproject["project"]["scripts"]["plugboard"]
    main = import_object(target)
    result = CliRunner().invoke(main, ["new", "audit_log", "--path", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert files_under(tmp_path / "plugboard-audit_log") == EXPECTED_FILES


def test_the_readme_says_how_to_install_the_host() -> None:
    readme = render_files("audit_log")["README.md"]
    assert "pip install /path/to/plugboard" in readme
    assert "pip install plugboard-audit_log\n" not in readme
    assert "flask db upgrade audit_log" in readme


def test_the_generated_tests_pass(app: Flask, tmp_path: Path) -> None:
    assert new(app, "audit_log", "--path", str(tmp_path))[0] == 0
    root = tmp_path / "plugboard-audit_log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(root / "src"), *filter(None, [env.get("PYTHONPATH")])]
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # A model and its migration, a CLI command, a hook, a page: six tests, each on SQLite
    # and on PostgreSQL (skipped, saying why, where no server answers).
    summary = proc.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"(12 passed|6 passed, 6 skipped) in .*", summary), proc.stdout


def test_pyproject_declares_the_entry_point_and_the_package_data(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert new(app, "pyproject_check", "--path", str(tmp_path))[0] == 0
    root = tmp_path / "plugboard-pyproject_check"
    data = tomllib.loads((root / "pyproject.toml").read_text())
    project = data["project"]
    assert project["name"] == "plugboard-pyproject_check"
    assert any(dep.startswith("flask-plugboard") for dep in project["dependencies"])
    entry_point = project["entry-points"]["plugboard"]["pyproject_check"]
    assert entry_point == "plugboard_pyproject_check:PyprojectCheckPlugin"
    package_data = data["tool"]["setuptools"]["package-data"]["plugboard_pyproject_check"]
    package = root / "src" / "plugboard_pyproject_check"
    shipped = {p.relative_to(package).as_posix() for g in package_data for p in package.glob(g)}
    assert {"templates/pyproject_check/index.html", "static/pyproject_check.css"} <= shipped
    # The entry point and the dynamic version resolve to the generated plugin.
    monkeypatch.syspath_prepend(str(root / "src"))
    plugin_class = import_object(entry_point)
    assert issubclass(plugin_class, Plugin)
    assert plugin_class.name == "pyproject_check"
    module = sys.modules["plugboard_pyproject_check"]
    version_attr = data["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert version_attr == "plugboard_pyproject_check.__version__"
    assert module.__version__ == plugin_class.version == "0.1.0"


@pytest.mark.parametrize("name", ["Audit", "1audit", "audit-log", "audit log", "_audit", ""])
def test_new_refuses_a_name_that_cannot_be_a_plugin(
    app: Flask, tmp_path: Path, name: str
) -> None:
    code, output = new(app, name, "--path", str(tmp_path))
    assert code == 2
    assert "is not a valid plugin name: use lowercase letters, digits and underscores" in output
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_an_existing_folder_and_leaves_it_alone(app: Flask, tmp_path: Path) -> None:
    existing = tmp_path / "plugboard-audit"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    code, output = new(app, "audit", "--path", str(tmp_path))
    assert code == 1
    assert f"{existing} already exists: choose another plugin name or another --path" in output
    assert files_under(existing) == {"notes.txt"}
    assert (existing / "notes.txt").read_text() == "mine"


def test_new_refuses_a_path_that_is_not_a_folder(app: Flask, tmp_path: Path) -> None:
    code, output = new(app, "audit", "--path", str(tmp_path / "missing"))
    assert code == 1
    assert "is not a folder: give an existing folder as --path" in output


def test_new_warns_when_the_name_is_taken_by_an_installed_plugin(
    app: Flask, tmp_path: Path
) -> None:
    code, output = new(app, "timer", "--path", str(tmp_path))
    assert code == 0
    assert "a plugin named 'timer' is already installed (bundled" in output
    assert "rename one of them" in output


def test_every_placeholder_is_filled() -> None:
    for path, text in render_files("audit_log").items():
        assert "$" not in text, path


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed")
def test_the_generated_code_passes_ruff(app: Flask, tmp_path: Path) -> None:
    assert new(app, "audit_log", "--path", str(tmp_path))[0] == 0
    root = tmp_path / "plugboard-audit_log"
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select",
         "B,E,F,I,UP,W", "--line-length", "100", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
