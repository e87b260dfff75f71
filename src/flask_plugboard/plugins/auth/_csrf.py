"""(being written)"""

from __future__ import annotations

from flask import Flask


def install_csrf(app: Flask) -> None:
    """(being written)"""
