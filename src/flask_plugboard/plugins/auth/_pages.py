"""(being written)"""

from __future__ import annotations

from flask import Blueprint

from ._settings import AuthSettings


def add_pages(bp: Blueprint, settings: AuthSettings) -> None:
    """(being written)"""
