"""Routes of moderation: reporting (members), the queue (moderators), the audit
log (admins), and a member's own standing with the appeal form.

Every page works without JavaScript. Moderators act through one form per
case; refusals flash and redirect back to the queue. A suspended member
cannot log in: the login page hands them (by a mark in their signed session,
set only after their password was right) to :func:`standing`, where they can
ask for a review.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from community import trust
from community.accounts.models import User
from community.accounts.service import find_by_email
from community.db import db
from community.moderation import service
from community.moderation.forms import (
    ActionForm,
    AppealDecisionForm,
    AppealForm,
    AuditFilterForm,
    ModeratorForm,
    ReportForm,
    TrustLevelForm,
)
from community.moderation.models import ITEM_TYPES, AuditEntry
from community.site.access import admin_required, moderator_required
from community.site.actions import error_on_field, run
from community.site.paging import page_number

bp = Blueprint("moderation", __name__)

SUSPENDED_KEY = "suspended_member_id"


def _me() -> User:
    return current_user._get_current_object()


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("site.home")


# --- reporting ---------------------------------------------------------------------


@bp.route("/report/<item_type>/<int:item_id>", methods=["GET", "POST"])
@login_required
def report(item_type: str, item_id: int):
    item, error = run(service.access_item, _me(), item_type, item_id)
    if error is not None:
        abort(404)  # every refusal to see an item answers as "no such item"
    form = ReportForm()
    if request.method == "GET":
        form.next.data = request.referrer if request.referrer else ""
    status = 200
    if form.validate_on_submit():
        _, error = run(
            service.report,
            _me(),
            item_type,
            item_id,
            form.reason.data,
            form.words.data,
            block=form.block.data,
        )
        if error is None:
            flash(
                "Thank you. A moderator will look at it, and we will tell you the outcome."
                + (" You have blocked this member." if form.block.data else ""),
                "success",
            )
            return redirect(_safe_next(form.next.data))
        if not error_on_field(form, error):
            flash(str(error), "error")
        status = error.status
    elif request.method == "POST":
        status = 400
    return render_template(
        "moderation/report.html",
        form=form,
        item=item,
        label=ITEM_TYPES[item_type],
        hidden=service.removed_text(item_type, item_id),
    ), status


# --- the queue ---------------------------------------------------------------------------


@bp.get("/moderation/")
@moderator_required
def queue():
    """Open cases, oldest first, QUEUE_PAGE a page (``?page=``)."""
    page = page_number(service.QUEUE_PAGE_MAX)
    per_page = service.QUEUE_PAGE
    cases = service.queue(_me(), per_page + 1, skip=per_page * (page - 1))
    return render_template(
        "moderation/queue.html",
        cases=cases[:per_page],
        page=page,
        has_next=len(cases) > per_page,
        appeals=service.open_appeals(_me()),
        form=ActionForm(),
        decision_form=AppealDecisionForm(),
        item_types=ITEM_TYPES,
    )


@bp.post("/moderation/reports/<int:report_id>/act")
@moderator_required
def act(report_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    said, error = run(
        service.act,
        _me(),
        report_id,
        form.action.data or "",
        reason=form.reason.data or "",
        days=form.days.data,
    )
    flash(str(error) if error else said, "error" if error else "success")
    return redirect(url_for("moderation.queue"))


@bp.post("/moderation/appeals/<int:appeal_id>/decide")
@moderator_required
def decide_appeal(appeal_id: int):
    form = AppealDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    said, error = run(
        service.decide_appeal, _me(), appeal_id, form.decision.data or "", form.reason.data or ""
    )
    flash(str(error) if error else said, "error" if error else "success")
    return redirect(url_for("moderation.queue"))


@bp.get("/moderation/members/<int:user_id>")
@moderator_required
def member(user_id: int):
    shown = db.session.get(User, user_id)
    if shown is None:
        abort(404)
    form = TrustLevelForm(level="" if shown.trust_level_set is None else str(shown.trust_level_set))
    return render_template(
        "moderation/member.html",
        member=shown,
        level=trust.level_of(shown),
        history=service.member_histories({shown.id})[shown.id],
        closing_words=service.closing_words_about(shown.id),
        form=form,
        action_form=ActionForm(),
    )


@bp.post("/moderation/members/<int:user_id>/trust")
@moderator_required
def set_trust(user_id: int):
    shown = db.session.get(User, user_id)
    form = TrustLevelForm()
    if shown is None or not form.validate_on_submit():
        abort(404 if shown is None else 400)
    level = int(form.level.data) if form.level.data else None
    _, error = run(service.set_trust_level, _me(), shown, level, form.reason.data or "")
    flash(str(error) if error else "Trust level saved.", "error" if error else "success")
    return redirect(url_for("moderation.member", user_id=user_id))


@bp.post("/moderation/members/<int:user_id>/reinstate")
@moderator_required
def reinstate(user_id: int):
    shown = db.session.get(User, user_id)
    form = ActionForm()
    if shown is None or not form.validate_on_submit():
        abort(404 if shown is None else 400)
    _, error = run(service.reinstate, _me(), shown, form.reason.data or "")
    flash(str(error) if error else f"{shown.display_name} is reinstated.",
          "error" if error else "success")  # fmt: skip
    return redirect(url_for("moderation.member", user_id=user_id))


# --- the audit log (admins) -----------------------------------------------------------------


def _filters() -> dict:
    form = AuditFilterForm(request.args)
    out = {}
    for key, name in (("member_id", "member"), ("actor_id", "moderator")):
        value = (form[name].data or "").strip()
        if value.isdigit() and len(value) < 10:
            out[key] = int(value)
    return out


@bp.get("/moderation/audit")
@admin_required
def audit():
    before = request.args.get("before", "")
    entries = service.audit_page(
        **_filters(), before=int(before) if before.isdigit() and len(before) < 10 else None
    )
    return render_template(
        "moderation/audit.html",
        entries=entries,
        deleted=service.deleted_among(entries),
        filter_form=AuditFilterForm(request.args),
        moderator_form=ModeratorForm(),
        moderators=service.member_moderators(),
    )


@bp.get("/moderation/audit.csv")
@admin_required
def audit_csv():
    return Response(
        service.audit_csv(**_filters()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=kindred-audit.csv"},
    )


@bp.post("/moderation/moderators")
@admin_required
def moderators():
    form = ModeratorForm()
    if not form.validate_on_submit():
        abort(400)
    member_ = find_by_email(form.email.data or "")
    if member_ is None:
        flash("No member has that email address.", "error")
        return redirect(url_for("moderation.audit"))
    on = form.grant.data != "0"
    _, error = run(service.set_moderator, _me(), member_, on)
    flash(
        str(error)
        if error
        else f"{member_.display_name} is {'now' if on else 'no longer'} a moderator.",
        "error" if error else "success",
    )
    return redirect(url_for("moderation.audit"))


# --- a member's own standing and appeals ---------------------------------------------------


def _standing_member() -> User | None:
    """The signed-in member, or the suspended member the login page sent here."""
    if current_user.is_authenticated:
        return _me()
    member_id = session.get(SUSPENDED_KEY)
    if not member_id:
        return None
    found = db.session.get(User, member_id)
    if found is None or found.is_deleted or not found.is_suspended:
        session.pop(SUSPENDED_KEY, None)
        return None
    return found


@bp.get("/standing")
def standing():
    member_ = _standing_member()
    if member_ is None:
        return redirect(url_for("accounts.login", next=url_for("moderation.standing")))
    return render_template(
        "moderation/standing.html",
        member=member_,
        level=trust.level_of(member_),
        levels=trust.LEVELS,
        open_entries=service.appealable(member_),
        form=AppealForm(),
    )


@bp.post("/standing/<int:entry_id>/appeal")
def appeal(entry_id: int):
    member_ = _standing_member()
    if member_ is None:
        return redirect(url_for("accounts.login", next=url_for("moderation.standing")))
    form = AppealForm()
    if not form.validate_on_submit():
        abort(400)
    _, error = run(service.ask_for_review, member_, entry_id, form.words.data or "")
    if error is None:
        flash("Thank you. A moderator who did not take the decision will review it.", "success")
        return redirect(url_for("moderation.standing"))
    entry = db.session.get(AuditEntry, entry_id)
    if not error_on_field(form, error):
        flash(str(error), "error")
        return redirect(url_for("moderation.standing"))
    return render_template(
        "moderation/standing.html",
        member=member_,
        level=trust.level_of(member_),
        levels=trust.LEVELS,
        open_entries=service.appealable(member_),
        form=form,
        failed_entry=entry,
    ), error.status
