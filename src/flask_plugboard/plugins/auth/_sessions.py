"""(being written)"""

from __future__ import annotations

from flask import Flask

from ._settings import AuthSettings


def install_sessions(app: Flask, settings: AuthSettings) -> None:
    """(being written)"""
