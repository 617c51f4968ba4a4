"""WSGI entry point: what gunicorn and `flask --app wsgi` load."""

from community import create_app

app = create_app()
