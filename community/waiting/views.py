"""The "what's waiting for me" page: a thin adapter over :mod:`community.waiting.service`."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from community.waiting.service import waiting_for

bp = Blueprint("waiting", __name__)


@bp.get("/waiting")
@login_required
def index():
    return render_template("waiting/index.html", waiting=waiting_for(current_user.id))
