"""The front page (visitors) or the feed (members), and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from community.db import db
from community.jobs import redis_connection
from community.site import front_page

bp = Blueprint("site", __name__)


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("network.home_feed"))
    shown = front_page.front_page()
    return render_template(
        "site/home.html",
        figures=shown.figures,
        kinds=shown.kinds,
        thanks=shown.thanks,
        members=shown.members,
    )


@bp.get("/healthz")
def healthz():
    """Report whether the database and Redis answer. 503 when one does not."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:
        current_app.logger.warning("health check: database: %s", error)
        checks["database"] = "unreachable"
    finally:
        db.session.rollback()
    connection = redis_connection()
    if connection is None:
        checks["redis"] = "not configured"
    else:
        try:
            connection.ping()
            checks["redis"] = "ok"
        except Exception as error:
            current_app.logger.warning("health check: redis: %s", error)
            checks["redis"] = "unreachable"
    healthy = all(value in {"ok", "not configured"} for value in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503
