from flask import Blueprint

from ._settings import SurveysSettings


def add_api(bp: Blueprint, settings: SurveysSettings) -> None:
    pass
