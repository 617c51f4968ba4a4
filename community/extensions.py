"""Flask extensions, created unbound; ``create_app`` binds them to an app."""

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

from community.db import db
from community.network_address import client_address

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
socketio = SocketIO()
# Limits are declared where they apply (the login view, for example); the
# storage is Redis when REDIS_URL is set, so that every web process counts
# the same attempts.
limiter = Limiter(key_func=client_address, default_limits=[])

__all__ = ["csrf", "db", "limiter", "login_manager", "migrate", "socketio"]
