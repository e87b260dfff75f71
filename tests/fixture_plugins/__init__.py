"""Plugins with models and real Alembic revisions, for tests/test_db.py.

``notes`` keeps notes; ``tags`` requires it and tags notes; ``broken`` has a revision
that fails halfway. :mod:`fixture_plugins.app` is an app factory for the ``flask`` CLI.
"""
