"""Routes of the network area: follow, the welcome composer and its coach, the feed."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from community.accounts.forms import ConfirmForm
from community.accounts.models import User
from community.db import db
from community.network import feed, follows, welcomes
from community.network.forms import WelcomeForm
from community.site.actions import error_on_field, run
from community.site.paging import page_number

bp = Blueprint("network", __name__)
# The follow button (templates/network/_follow.html) is a macro that other areas'
# templates import, usually without their context: it finds the member looking at
# the page as a template global.
bp.add_app_template_global(current_user, "current_user")


def _member(user_id: int) -> User:
    member = db.session.get(User, user_id)
    if member is None or member.is_deleted:
        abort(404)
    # As for profiles: an unverified member is shown to nobody but themselves and admins.
    if not member.is_verified and member.id != current_user.id and not current_user.is_admin:
        abort(404)
    return member


def _back(member: User):
    """Back to ``next`` when it is a path on this site, else to the member's profile."""
    target = request.form.get("next", "")
    # As accounts' _safe_next: browsers read "/\evil.example" and "/\t/evil.example"
    # as "//evil.example", another site.
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ch.isspace() or not ch.isprintable() for ch in target)
    ):
        return redirect(target)
    return redirect(url_for("profiles.show", user_id=member.id))


@bp.post("/members/<int:user_id>/follow")
@login_required
def follow(user_id: int):
    member = _member(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _, error = run(follows.follow, current_user, member)
    if error:
        flash(str(error), "error")
    else:
        flash(f"You follow {member.display_name} now.", "success")
    return _back(member)


@bp.post("/members/<int:user_id>/unfollow")
@login_required
def unfollow(user_id: int):
    member = _member(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    unfollowed, _ = run(follows.unfollow, current_user, member)
    if unfollowed:
        flash(f"You no longer follow {member.display_name}.", "info")
    return _back(member)


def _people(title: str, rows, has_next: bool, member: User, page: int, endpoint: str):
    return render_template(
        "network/people.html",
        title=title,
        rows=rows,
        has_next=has_next,
        member=member,
        page=page,
        endpoint=endpoint,
        form=ConfirmForm(),
    )


@bp.get("/members/<int:user_id>/followers")
@login_required
def followers(user_id: int):
    member = _member(user_id)
    page = page_number()
    rows, has_next = follows.followers_page(member.id, current_user.id, page)
    title = f"Who follows {member.display_name}"
    return _people(title, rows, has_next, member, page, "network.followers")


@bp.get("/members/<int:user_id>/following")
@login_required
def following(user_id: int):
    member = _member(user_id)
    page = page_number()
    rows, has_next = follows.following_page(member.id, current_user.id, page)
    title = f"Who {member.display_name} follows"
    return _people(title, rows, has_next, member, page, "network.following")


@bp.get("/followers/<int:user_id>")
@login_required
def new_follower(user_id: int):
    """Where the "new follower" notification leads: follow back, and welcome them."""
    member = _member(user_id)
    return render_template(
        "network/new_follower.html",
        member=member,
        relation=follows.relation(current_user.id, member.id),
        can_welcome=welcomes.can_welcome(current_user, member),
        welcomed=welcomes.already_welcomed(current_user.id, member.id),
        form=ConfirmForm(),
    )


@bp.route("/welcome/<int:user_id>", methods=["GET", "POST"])
@login_required
def compose_welcome(user_id: int):
    """The welcome composer, with the other member's profile beside it."""
    member = _member(user_id)
    if not welcomes.can_welcome(current_user, member):
        abort(404)
    form = WelcomeForm()
    if form.validate_on_submit():
        _, error = run(welcomes.send_welcome, current_user, member, form.body.data)
        if error is None:
            flash(f"Your welcome is on its way to {member.display_name}.", "success")
            return redirect(url_for("profiles.show", user_id=member.id))
        if not error_on_field(form, error):
            form.form_errors.append(str(error))
    draft = form.body.data or ""
    status = 400 if request.method == "POST" else 200
    return render_template(
        "network/compose.html",
        form=form,
        member=member,
        coaching=welcomes.coach_draft(current_user, member, draft),
    ), status


@bp.post("/welcome/<int:user_id>/coach")
@login_required
def coach_welcome(user_id: int):
    """The coach's hints on a draft, as JSON (the composer asks as the member types)."""
    member = _member(user_id)
    if not welcomes.can_welcome(current_user, member):
        return jsonify(error={"code": 404, "message": "Not found."}), 404
    payload = request.get_json(silent=True)
    draft = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(draft, str) or len(draft) > 4 * welcomes.BODY_MAX:
        return jsonify(error={"code": 400, "message": 'Send {"text": "..."}.'}), 400
    return jsonify(welcomes.coach_draft(current_user, member, draft).as_json())


@bp.get("/welcomes")
@login_required
def welcomes_received():
    return render_template("network/welcomes.html", welcomes=welcomes.received(current_user.id))


@bp.get("/feed")
@login_required
def home_feed():
    page = page_number(feed.PAGE_MAX)
    items, has_next = feed.feed_page(current_user.id, page)
    return render_template(
        "network/feed.html",
        items=items,
        page=page,
        has_next=has_next,
        follows_anyone=feed.follows_anyone(current_user.id),
        people=feed.people_to_meet(current_user),
        steps=feed.onboarding_steps(current_user),
        form=ConfirmForm(),
    )


@bp.get("/start")
@login_required
def start():
    """The newcomer's walk-through after confirming their email."""
    return render_template(
        "network/start.html",
        steps=feed.onboarding_steps(current_user),
        people=feed.people_to_meet(current_user),
        form=ConfirmForm(),
    )
