"""The teacher dashboard: a Flask app over the ``attendance`` and ``enrollment`` services."""

from .app import create_app as create_app
