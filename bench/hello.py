"""The baseline of the board's throughput benchmark: Flask's hello world.

Served by the same gunicorn settings as the site (see bench/board.py):
``gunicorn -w 1 --threads N --chdir bench hello:app``.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
