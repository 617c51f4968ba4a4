"""Pages of kindness: completing a match with thanks, "X helped me", pending
thanks, a member's ripples, the community page, privacy. Pages read stored
results (MemberRipples, CameBack); no graph traversal happens here."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from community.accounts.forms import ConfirmForm
from community.accounts.models import User
from community.db import db, utcnow
from community.helping import matches, web
from community.helping.errors import NotFound
from community.kindness import service, svg
from community.kindness.forms import PrivacyForm, ReplyForm, ThanksForm
from community.kindness.jobs import describe_chain, when
from community.kindness.models import CameBack, HelpAct, KindnessPrivacy, MemberRipples
from community.profiles.service import ProfileNotFound, access_profile

bp = Blueprint("kindness", __name__)
TOP = 10


def _member(user_id: int) -> User:
    try:
        return access_profile(user_id, current_user)
    except ProfileNotFound:
        abort(404)


def _access_thanks(thanks_id: int):
    try:
        return service.access_thanks(current_user, thanks_id)
    except NotFound:
        abort(404)


def _names(ids, viewer_id: int | None = None) -> dict[int, str]:
    """Display names, "someone" for members who keep their kindness private
    (the viewer sees their own name). Two queries."""
    ids = set(ids)
    hidden = service.private_ids(ids) - {viewer_id}
    users = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {uid: ("someone" if uid in hidden else name) for uid, name in users}


# --- completing a match -----------------------------------------------------


@bp.post("/matches/<int:match_id>/complete")
@login_required
def complete_match(match_id: int):
    from community.helping.views import _match_page

    try:
        match = matches.access_match(current_user, match_id)
    except NotFound:
        abort(404)
    if match.requester_id != current_user.id:
        abort(404)  # the helper does not mark their own help received
    form = ThanksForm()
    if form.validate_on_submit():
        _, error = web.run(
            service.complete_match,
            current_user,
            match,
            form.body.data,
            keep_private=form.keep_private.data,
            pledge=form.pledge.data,
        )
        if error is None:
            flash("Thank you! Your helper will see your thanks.", "success")
            return redirect(url_for("helping.show_match", match_id=match_id))
        if not web.error_on_field(form, error):
            flash(str(error), "error")
            return redirect(url_for("helping.show_match", match_id=match_id))
    return _match_page(match, status=400, thanks_form=form)


@bp.post("/thanks/<int:thanks_id>/reply")
@login_required
def reply(thanks_id: int):
    thanks = _access_thanks(thanks_id)
    form = ReplyForm()
    error = None
    if form.validate_on_submit():
        _, error = web.run(service.reply_to_thanks, current_user, thanks, form.reply.data)
    else:
        error = next(iter(form.reply.errors), "Write your reply.")
    flash(str(error) if error else "Your reply is sent.", "error" if error else "success")
    return _back_to(thanks)


@bp.post("/thanks/<int:thanks_id>/privacy")
@login_required
def thanks_privacy(thanks_id: int):
    thanks = _access_thanks(thanks_id)
    form = PrivacyForm()
    if not form.validate_on_submit():
        abort(400)
    web.run(service.set_thanks_private, current_user, thanks, form.private.data)
    flash("This thank-you is private." if form.private.data else "This thank-you shows.", "success")
    return _back_to(thanks)


def _back_to(thanks):
    if thanks.match_id:
        return redirect(url_for("helping.show_match", match_id=thanks.match_id))
    return redirect(url_for("profiles.show", user_id=thanks.helper_id))


# --- help outside a match ---------------------------------------------------


@bp.route("/members/<int:user_id>/thank", methods=["GET", "POST"])
@login_required
def thank_member(user_id: int):
    member = _member(user_id)
    if member.id == current_user.id:
        abort(404)
    form = ThanksForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            _, error = web.run(
                service.thank_outside,
                current_user,
                member,
                form.body.data,
                keep_private=form.keep_private.data,
                pledge=form.pledge.data,
            )
            if error is None:
                flash(f"Thank you! {member.display_name} will be asked to confirm it.", "success")
                return redirect(url_for("profiles.show", user_id=member.id))
            if not web.error_on_field(form, error):
                flash(str(error), "error")
    return render_template("kindness/thank.html", member=member, form=form), status


@bp.get("/thanks")
@login_required
def pending_thanks():
    return render_template(
        "kindness/pending.html",
        pending=service.pending_thanks_for(current_user.id),
        button_form=ConfirmForm(),
    )


@bp.post("/thanks/<int:thanks_id>/confirm")
@login_required
def confirm_thanks(thanks_id: int):
    thanks = _access_thanks(thanks_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _, error = web.run(service.confirm_thanks, current_user, thanks)
    flash(
        str(error) if error else "Confirmed. Thank you for helping!",
        "error" if error else "success",
    )
    return redirect(url_for("kindness.pending_thanks"))


@bp.post("/thanks/<int:thanks_id>/decline")
@login_required
def decline_thanks(thanks_id: int):
    thanks = _access_thanks(thanks_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _, error = web.run(service.decline_thanks, current_user, thanks)
    flash(
        str(error) if error else "Declined: no act of help is recorded.",
        "error" if error else "success",
    )
    return redirect(url_for("kindness.pending_thanks"))


# --- ripples ----------------------------------------------------------------


@bp.get("/members/<int:user_id>/ripples")
@login_required
def ripples(user_id: int):
    member = _member(user_id)
    is_owner = member.id == current_user.id
    if not is_owner and not current_user.is_admin and service.is_private(member.id):
        # Private: no names, no picture, no chains, no figures for others
        # (the member's acts still count in the community's totals).
        return render_template(
            "kindness/ripples_private.html", member=member, member_name="This member"
        )
    stored = db.session.get(MemberRipples, member.id)
    came_back = list(
        db.session.scalars(
            select(CameBack)
            .where(CameBack.member_id == member.id)
            .order_by(CameBack.created_at.desc(), CameBack.id.desc())
            .limit(TOP)
        )
    )
    tree = stored.tree if stored else None
    nodes, edges = svg.layout(tree)
    # Names for the people the picture names (the outer ring is drawn as dots).
    ids = {node.id for node in nodes if node.level <= 2} | {member.id}
    for event in came_back:
        ids |= {step["helper"] for step in event.chain} | {step["helped"] for step in event.chain}
    names = _names(ids, current_user.id)
    now = utcnow()
    made, kept = service.pledges_of(member.id)
    return render_template(
        "kindness/ripples.html",
        member=member,
        member_name=names.get(member.id, "someone"),
        stored=stored,
        chains=[(event, describe_chain(event.chain, member.id, names, now)) for event in came_back],
        nodes=nodes,
        edges=edges,
        names=names,
        size=svg.SIZE,
        rings=svg.RINGS[1:],
        centre=svg.CENTRE,
        pledges_made=made,
        pledges_kept=kept,
        is_owner=is_owner,
        privacy_form=PrivacyForm(private=service.is_private(member.id)) if is_owner else None,
        when=lambda at: when(datetime.fromisoformat(at), now) if at else "",
    )


@bp.post("/kindness/privacy")
@login_required
def privacy():
    form = PrivacyForm()
    if not form.validate_on_submit():
        abort(400)
    web.run(service.set_ripples_private, current_user, form.private.data)
    flash(
        "Your acts of help are off public pages now."
        if form.private.data
        else "Your acts of help show on public pages.",
        "success",
    )
    return redirect(url_for("kindness.ripples", user_id=current_user.id))


@bp.get("/kindness")
@login_required
def community():
    now = utcnow()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    acts_this_month = db.session.scalar(
        select(func.count()).select_from(HelpAct).where(HelpAct.at >= month_start)
    )
    public = ~MemberRipples.user_id.in_(select(KindnessPrivacy.user_id))
    longest = db.session.execute(
        select(MemberRipples, User.display_name)
        .join(User, User.id == MemberRipples.user_id)
        .where(public, MemberRipples.longest_chain > 0, User.deleted_at.is_(None))
        .order_by(MemberRipples.longest_chain.desc(), MemberRipples.reached.desc(), User.id)
        .limit(TOP)
    ).all()
    lately = list(
        db.session.scalars(
            select(CameBack)
            .where(~CameBack.member_id.in_(select(KindnessPrivacy.user_id)))
            .order_by(CameBack.created_at.desc(), CameBack.id.desc())
            .limit(TOP)
        )
    )
    ids = set()
    for event in lately:
        ids |= {event.member_id}
        ids |= {step["helper"] for step in event.chain} | {step["helped"] for step in event.chain}
    names = _names(ids)
    return render_template(
        "kindness/community.html",
        acts_this_month=acts_this_month,
        longest=longest,
        lately=[
            (event, names.get(event.member_id, "someone"), _third_person(event, names, now))
            for event in lately
        ],
    )


def _third_person(event: CameBack, names: dict[int, str], now: datetime) -> str:
    """The chain as others read it: the member by name, not "you"."""
    return "; ".join(
        f"{names.get(step['helper'], 'someone')} helped {names.get(step['helped'], 'someone')} "
        f"{when(datetime.fromisoformat(step['at']), now)}"
        for step in event.chain
    )
