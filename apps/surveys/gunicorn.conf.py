"""The production gunicorn settings, for a checkout: the same as the installed package's
``plugboard_surveys.gunicorn_conf`` (which see), kept at this path for deployments that
name it.

    gunicorn -c apps/surveys/gunicorn.conf.py 'plugboard_surveys:create_app()'
"""

from plugboard_surveys.gunicorn_conf import *  # noqa: F403 - gunicorn reads the module's names
