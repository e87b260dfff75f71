"""What the README's "Production" section tells an operator, checked in this process:
the gunicorn config an installed package carries and where it listens, and ``/metrics``
turned on the way the README says. (``test_surveys_production.py`` runs the whole
section from wheels; this is the quick part, in every run.)"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from surveys_support import dispose, surveys_app

README = Path(__file__).resolve().parents[1] / "README.md"
CHECKOUT_CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
_SETTINGS = ("bind", "workers", "worker_class", "threads", "preload_app", "timeout")


def _production_section() -> str:
    text = README.read_text()
    start = text.index("\n## Production\n")
    return text[start : text.index("\n## ", start + 1)]


def _production_words() -> str:
    """The section with its line breaks as spaces, to look phrases up in."""
    return " ".join(_production_section().split())


def _gunicorn_settings(env: dict[str, str], path: Path | None = None) -> dict[str, Any]:
    """The settings gunicorn takes from the packaged config (or the file at ``path``),
    in a process of their own with ``env`` as its only gunicorn-related environment."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GUNICORN_") and k not in ("PORT", "WEB_CONCURRENCY")
    }
    load = (
        f"runpy.run_path({str(path)!r})"
        if path
        else "runpy.run_module('plugboard_surveys.gunicorn_conf')"
    )
    code = f"import json, runpy; ns = {load}; print(json.dumps({{k: ns[k] for k in {_SETTINGS}}}))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    settings: dict[str, Any] = json.loads(out)
    return settings


def test_the_packaged_gunicorn_config_listens_where_the_readme_says() -> None:
    default = _gunicorn_settings({})
    assert default["bind"] == ["0.0.0.0:8000"]
    assert "`0.0.0.0:8000`, every interface" in _production_words()
    assert _gunicorn_settings({"PORT": "9123"})["bind"] == ["0.0.0.0:9123"]
    local = {"PORT": "9123", "GUNICORN_BIND": "127.0.0.1:8000"}
    assert _gunicorn_settings(local)["bind"] == ["127.0.0.1:8000"]
    assert "GUNICORN_BIND=127.0.0.1:8000" in _production_words()
    assert (default["worker_class"], default["threads"], default["preload_app"]) == (
        "gthread",
        2,
        True,
    )
    assert "gunicorn -c python:plugboard_surveys.gunicorn_conf" in _production_section()


def test_the_checkout_path_of_the_gunicorn_config_is_the_same_config() -> None:
    env = {"WEB_CONCURRENCY": "3", "GUNICORN_BIND": "unix:/run/surveys.sock"}
    assert _gunicorn_settings(env, CHECKOUT_CONF) == _gunicorn_settings(env)


def test_a_wrong_worker_count_stops_gunicorn_naming_it() -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        _gunicorn_settings({"WEB_CONCURRENCY": "many"})
    assert "WEB_CONCURRENCY = 'many': expected a whole number" in failed.value.stderr


def _metrics_exports() -> dict[str, str]:
    """The variables of the README's block that turns ``/metrics`` on."""
    (block,) = [
        b
        for b in re.findall(r"```console\n(.*?)```", _production_section(), re.S)
        if "STATS_METRICS" in b
    ]
    exports = [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    assert all(words[0] == "export" for words in exports), block
    return dict(words[1].partition("=")[::2] for words in exports)


def test_metrics_is_off_until_turned_on_as_the_readme_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = surveys_app(tmp_path / "off")
    try:
        assert off.test_client().get("/metrics").status_code == 404
    finally:
        dispose(off)

    exports = _metrics_exports()
    assert set(exports) == {"FLASK_STATS_METRICS", "FLASK_STATS_METRICS_TOKEN"}
    token = "scraper-" + "7f3a9c" * 8  # the README makes one with secrets.token_hex(32)
    monkeypatch.setenv("FLASK_STATS_METRICS", exports["FLASK_STATS_METRICS"])
    monkeypatch.setenv("FLASK_STATS_METRICS_TOKEN", token)
    on = surveys_app(tmp_path / "on")
    try:
        client = on.test_client()
        client.get("/activesurveys")
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200
        assert 'plugboard_http_requests_total{endpoint="/activesurveys"' in scraped.text
    finally:
        dispose(on)
