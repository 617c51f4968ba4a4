"""Thanks, acts of help, pledges, privacy and the ripples jobs, through the
service (both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.blocking import block
from community.db import db
from community.helping import requests as help_requests
from community.helping.errors import NotAllowed, NotFound
from community.helping.models import HelpRequest, Match, MatchStatus, RequestStatus
from community.kindness import jobs as ripple_jobs
from community.kindness import privacy, service
from community.kindness.models import (
    CameBack,
    HelpAct,
    MemberRipples,
    Pledge,
    ThanksStatus,
)
from community.kindness.service import KindnessError
from community.notifications.models import Notification
from tests.builders import accept, answer, make_match, make_offer

THANKS = "Thank you so much for your careful help!"


def complete(requester, helper, *, pledge=False):
    match, _ = make_match(requester, helper)
    thanks = service.complete_match(requester, match, THANKS, pledge=pledge)
    db.session.commit()
    return thanks


def notifications(user, kind):
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        )
    )


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def people(make_user):
    return [
        make_user(display_name=name, email=f"{name.lower()}@example.com")
        for name in ("Ann", "Raj", "Cam", "Dee")
    ]


# --- thanks required ----------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   ", "Thanks!", "Thanks a lot", "x" * 2001])
def test_a_match_completes_only_with_a_real_thank_you(app, people, body):
    ann, raj, *_ = people
    match, _ = make_match(ann, raj)
    with pytest.raises(KindnessError) as error:
        service.complete_match(ann, match, body)
    assert error.value.field == "body"
    db.session.rollback()
    assert db.session.get(Match, match.id).status == MatchStatus.ACTIVE
    assert count(HelpAct) == 0


def test_completing_records_one_act_thanks_and_tells_the_helper(app, people):
    ann, raj, *_ = people
    match, _ = make_match(ann, raj)
    with pytest.raises(NotFound):
        service.complete_match(raj, match, THANKS)  # only the requester
    thanks = service.complete_match(ann, match, THANKS, keep_private=True)
    db.session.commit()
    assert thanks.status == ThanksStatus.CONFIRMED and thanks.author_private
    act = db.session.get(HelpAct, thanks.act_id)
    assert (act.helper_id, act.helped_id, act.at) == (raj.id, ann.id, thanks.created_at)
    assert db.session.get(Match, match.id).status == MatchStatus.COMPLETED
    assert notifications(raj, "thanks_received")[0].data["thanks_id"] == thanks.id
    with pytest.raises(NotAllowed, match="already ended"):
        service.complete_match(ann, db.session.get(Match, match.id), THANKS)
    db.session.rollback()
    assert count(HelpAct) == 1

    service.reply_to_thanks(raj, thanks, "It was a joy to read your book.")
    db.session.commit()
    with pytest.raises(KindnessError, match="already replied"):
        service.reply_to_thanks(raj, thanks, "Again")
    with pytest.raises(NotFound):
        service.reply_to_thanks(ann, thanks, "Not mine to reply")
    assert service.public_thanks_of(raj.id) == []  # ann keeps it private
    service.set_thanks_private(ann, thanks, False)
    assert service.public_thanks_of(raj.id) == [thanks]
    service.set_thanks_private(raj, thanks, True)
    assert service.public_thanks_of(raj.id) == []


def test_the_request_completes_after_the_last_thanks(app, people):
    ann, raj, cam, _ = people
    first, _ = make_match(ann, raj)
    request = first.request
    request.helpers_wanted = 2
    make_offer(cam, capacity=5)
    second = accept(ann, answer(cam, request, "Happy to help."))
    assert db.session.get(HelpRequest, request.id).status == RequestStatus.MATCHED

    with pytest.raises(NotAllowed, match="Thank your helper first"):
        help_requests.complete_request(ann, request)
    db.session.rollback()
    service.complete_match(ann, db.session.get(Match, first.id), THANKS)
    db.session.commit()
    assert db.session.get(HelpRequest, request.id).status == RequestStatus.MATCHED
    service.complete_match(ann, db.session.get(Match, second.id), THANKS)
    db.session.commit()
    assert db.session.get(HelpRequest, request.id).status == RequestStatus.COMPLETED


# --- help outside a match ------------------------------------------------------------


def test_help_outside_a_match_counts_only_once_confirmed(app, people):
    ann, raj, cam, _ = people
    with pytest.raises(KindnessError, match="yourself"):
        service.thank_outside(ann, ann, THANKS)
    thanks = service.thank_outside(ann, raj, THANKS, pledge=True)
    db.session.commit()
    assert thanks.status == ThanksStatus.PENDING and count(HelpAct) == 0
    assert notifications(raj, "thanks_to_confirm")
    with pytest.raises(KindnessError, match="already waiting"):
        service.thank_outside(ann, raj, THANKS)
    db.session.rollback()
    with pytest.raises(NotFound):
        service.confirm_thanks(cam, thanks)  # only the helper can confirm
    with pytest.raises(NotFound):
        service.confirm_thanks(ann, thanks)  # not the author either

    act = service.confirm_thanks(raj, thanks)
    db.session.commit()
    assert (act.helper_id, act.helped_id) == (raj.id, ann.id)
    assert thanks.status == ThanksStatus.CONFIRMED and thanks.act_id == act.id
    with pytest.raises(KindnessError, match="already been answered"):
        service.confirm_thanks(raj, thanks)  # not twice
    db.session.rollback()
    assert count(HelpAct) == 1

    declined = service.thank_outside(cam, raj, THANKS, pledge=True)
    db.session.commit()
    service.decline_thanks(raj, declined)
    db.session.commit()
    assert declined.status == ThanksStatus.DECLINED
    assert count(HelpAct) == 1 and count(Pledge, Pledge.user_id == cam.id) == 0


def test_blocked_members_cannot_thank_each_other(app, people):
    ann, raj, *_ = people
    thanks = service.thank_outside(ann, raj, THANKS)
    db.session.commit()
    block(raj, ann)
    db.session.commit()
    with pytest.raises(NotFound):
        service.thank_outside(ann, raj, "Thank you again for your lovely help!")
    with pytest.raises(NotFound):
        service.confirm_thanks(raj, thanks)
    db.session.rollback()
    assert count(HelpAct) == 0


# --- pledges ----------------------------------------------------------------------


def test_a_pledge_is_kept_by_helping_someone_else_afterwards(app, people):
    ann, raj, cam, _ = people
    complete(ann, raj, pledge=True)  # raj helped ann; ann pledges
    pledge = db.session.scalar(select(Pledge).where(Pledge.user_id == ann.id))
    assert pledge.kept_at is None

    complete(raj, ann)  # ann helps raj, the member she thanked: not paying it forward
    db.session.refresh(pledge)
    assert pledge.kept_at is None and service.pledges_of(ann.id) == (1, 0)

    thanks = complete(cam, ann)  # ann helps cam: kept
    db.session.refresh(pledge)
    assert pledge.kept_act_id == thanks.act_id and service.pledges_of(ann.id) == (1, 1)

    complete(raj, cam, pledge=True)  # cam helped raj... no: raj thanks cam, raj pledges
    assert service.pledges_of(raj.id) == (1, 0)  # earlier acts of raj do not keep it


# --- ripples ----------------------------------------------------------------------


def test_kindness_coming_back_is_notified_once_with_the_chain(app, people, mailbox):
    ann, raj, cam, _ = people
    complete(raj, ann)  # ann helped raj
    complete(cam, raj)  # raj helped cam
    privacy.set_ripples_private(raj, True)
    db.session.commit()
    complete(ann, cam)  # cam helped ann: it came back to ann

    events = list(db.session.scalars(select(CameBack)))
    assert [event.member_id for event in events] == [ann.id]
    assert [step["helper"] for step in events[0].chain] == [ann.id, raj.id, cam.id]
    told = notifications(ann, "kindness_came_back")
    assert len(told) == 1
    chain = told[0].data["chain"]
    assert chain.startswith("You helped someone ") and "someone helped Cam" in chain
    assert chain.endswith("Cam helped you today") and "Raj" not in chain
    emails = [m for m in mailbox.to(ann.email) if "Kindness came back" in mailbox.text(m)]
    assert len(emails) == 1

    assert ripple_jobs.record_new_acts() == 0  # nothing new: nothing again
    ripple_jobs.rebuild_ripples()
    db.session.expire_all()
    assert len(notifications(ann, "kindness_came_back")) == 1
    assert count(CameBack) == 1
    emails = [m for m in mailbox.to(ann.email) if "Kindness came back" in mailbox.text(m)]
    assert len(emails) == 1

    # Privacy hides raj's name, never the counts.
    stored = db.session.get(MemberRipples, ann.id)
    numbers = (stored.helped_directly, stored.reached, stored.longest_chain, stored.came_back)
    assert numbers == (1, 2, 3, 1)
    assert db.session.get(MemberRipples, raj.id).reached == 2


def _snapshot():
    db.session.expire_all()
    numbers = {
        row.user_id: (row.helped_directly, row.reached, row.longest_chain, row.came_back, row.tree)
        for row in db.session.scalars(select(MemberRipples))
    }
    events = {(e.member_id, e.act_id, str(e.chain)) for e in db.session.scalars(select(CameBack))}
    return numbers, events


def test_the_incremental_job_and_the_rebuild_agree(app, people):
    ann, raj, cam, dee = people
    for requester, helper in [
        (raj, ann),
        (cam, raj),
        (dee, cam),
        (ann, dee),
        (raj, dee),
        (cam, ann),
        (ann, raj),
    ]:
        complete(requester, helper)
    thanks = service.thank_outside(dee, raj, THANKS)
    db.session.commit()
    service.confirm_thanks(raj, thanks)
    db.session.commit()

    incremental = _snapshot()
    assert incremental[0][ann.id][1] == 3 and incremental[1]
    ann_tree = incremental[0][ann.id][4]
    assert [child["id"] for child in ann_tree["children"]] == [raj.id, cam.id]
    assert [child["id"] for child in ann_tree["children"][0]["children"]] == [dee.id]
    summary = ripple_jobs.rebuild_ripples()
    assert summary.startswith("8 acts of help, 4 members")
    assert _snapshot() == incremental
    assert count(HelpAct, HelpAct.recorded_at.is_(None)) == 0


def test_the_author_hears_when_their_thanks_is_confirmed_and_answered(app, make_user):
    from community.kindness import service as kindness
    from community.notifications.models import Notification

    author = make_user(display_name="Ann Author")
    helper = make_user(display_name="Hal Helper")
    thanks = kindness.thank_outside(author, helper, "You helped me fix my query letter, thank you!")
    db.session.commit()
    kindness.confirm_thanks(helper, thanks)
    kindness.reply_to_thanks(helper, thanks, "It was a joy: good luck with the agents!")
    db.session.commit()
    kinds = [
        (n.kind, n.data.get("name"))
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == author.id).order_by(Notification.id)
        )
    ]
    assert kinds == [("thanks_confirmed", "Hal Helper"), ("thanks_replied", "Hal Helper")]
