"""Help requests: posting with every field checked, and each lifecycle transition.

The transitions are the ones in community/helping/requests.py's docstring
(expiry and "keep it open" are in test_expiry.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from community.db import db, utcnow
from community.helping import matches, requests
from community.helping.errors import HelpingError, NotAllowed, NotFound
from community.helping.models import HelpRequest, MatchStatus, RequestStatus
from community.helping.requests import BoardFilters, RequestInput
from community.kindness.service import complete_match
from tests.builders import accept, answer, genre_id, reload, skill_ids


def request_input(**overrides) -> RequestInput:
    values = {
        "title": "Beta readers for my fantasy novel",
        "details": "A 90k-word epic fantasy about a lighthouse keeper; looking for pacing notes.",
        "skill_ids": skill_ids("beta-reading"),
        "genre_id": genre_id("fantasy"),
        "format": "written",
        "effort": "about 6 hours",
        "deadline": None,
        "helpers_wanted": 1,
    }
    values.update(overrides)
    return RequestInput(**values)


def request_count() -> int:
    return db.session.scalar(select(func.count(HelpRequest.id)))


def board_ids(q: str = "") -> list[int]:
    return [r.id for r in requests.board_page(BoardFilters(q=q)).items]


# --- posting ----------------------------------------------------------------------


def test_a_verified_member_posts_an_open_request(app, make_user):
    ann = make_user()
    deadline = utcnow().date() + timedelta(days=30)
    request = requests.post_request(
        ann,
        request_input(
            title="  Beta   readers for my   novel ",
            details="\r\n  Pacing notes on a 90k-word lighthouse fantasy, please.  \r\n",
            skill_ids=skill_ids("critique", "beta-reading", "critique"),
            format="live_chat",
            effort="  about   6 hours ",
            deadline=deadline,
            helpers_wanted=3,
        ),
    )
    db.session.commit()

    request = reload(request)
    assert request.requester_id == ann.id
    assert request.status == RequestStatus.OPEN and request.is_open
    assert request.title == "Beta readers for my novel"  # spaces tidied
    assert request.details == "Pacing notes on a 90k-word lighthouse fantasy, please."
    assert request.effort == "about 6 hours"
    assert [s.slug for s in request.skills] == ["beta-reading", "critique"]  # duplicates once
    assert request.genre.slug == "fantasy"
    assert request.format == "live_chat" and request.format_label == "Live chat"
    assert request.deadline == deadline
    assert (request.helpers_wanted, request.places_taken, request.places_left) == (3, 0, 3)
    assert request.last_activity_at is not None and request.ended_at is None
    assert board_ids() == [request.id]
    assert board_ids("lighthouse") == [request.id]  # indexed for search when posted


def test_an_unverified_member_cannot_post(app, make_user):
    newcomer = make_user(unverified=True)
    with pytest.raises(NotAllowed, match="confirm your email"):
        requests.post_request(newcomer, request_input())
    db.session.rollback()
    assert request_count() == 0


def _today(days: int = 0):
    return utcnow().date() + timedelta(days=days)


INVALID = [
    ("title", lambda: {"title": "Help"}),
    ("title", lambda: {"title": "   "}),
    ("title", lambda: {"title": "x" * 121}),
    ("details", lambda: {"details": "Too short to say."}),
    ("details", lambda: {"details": "x" * 5001}),
    ("details", lambda: {"details": "   \r\n   "}),
    ("skills", lambda: {"skill_ids": []}),
    (
        "skills",
        lambda: {"skill_ids": skill_ids("beta-reading", "critique", "copyediting", "proofreading")},
    ),
    ("skills", lambda: {"skill_ids": [*skill_ids("critique"), 999_999]}),
    ("genre", lambda: {"genre_id": 999_999}),
    ("format", lambda: {"format": "video"}),
    ("format", lambda: {"format": ""}),
    ("effort", lambda: {"effort": "x" * 101}),
    ("deadline", lambda: {"deadline": _today(-1)}),
    ("deadline", lambda: {"deadline": _today(731)}),
    ("helpers_wanted", lambda: {"helpers_wanted": 0}),
    ("helpers_wanted", lambda: {"helpers_wanted": 6}),
    ("helpers_wanted", lambda: {"helpers_wanted": None}),
]


@pytest.mark.parametrize(
    ("field", "overrides"), INVALID, ids=[f"{f}-{i}" for i, (f, _) in enumerate(INVALID)]
)
def test_invalid_input_names_the_field(app, make_user, field, overrides):
    ann = make_user()
    with pytest.raises(HelpingError) as caught:
        requests.post_request(ann, request_input(**overrides()))
    assert caught.value.field == field
    assert str(caught.value)  # a message fit to show
    db.session.rollback()
    assert request_count() == 0


VALID_LIMITS = [
    lambda: {"title": "Pace!"},
    lambda: {"title": "x" * 120},
    lambda: {"details": "x" * 20},
    lambda: {"details": "x" * 5000},
    lambda: {"skill_ids": skill_ids("beta-reading", "critique", "copyediting")},
    lambda: {"genre_id": None},
    lambda: {"format": "call"},
    lambda: {"effort": "x" * 100},
    lambda: {"effort": ""},
    lambda: {"deadline": _today()},
    lambda: {"deadline": _today(730)},
    lambda: {"helpers_wanted": 1},
    lambda: {"helpers_wanted": 5},
]


def test_limits_themselves_are_accepted(app, make_user):
    ann = make_user()
    for number, overrides in enumerate(VALID_LIMITS, start=1):
        requests.post_request(ann, request_input(**overrides()))
        db.session.commit()
        assert request_count() == number


# --- open, matched, and back --------------------------------------------------------


def test_open_becomes_matched_only_when_every_place_is_filled(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    wes = make_volunteer("Wes Volunteer", "beta-reading")
    late = make_volunteer("Lou Late", "beta-reading")
    request = make_request(ann, helpers=2)
    first, second = answer(vic, request), answer(wes, request)

    accept(ann, first)
    request = reload(request)
    assert request.status == RequestStatus.OPEN  # one place of two
    assert (request.places_taken, request.places_left) == (1, 1)

    accept(ann, second)
    request = reload(request)
    assert request.status == RequestStatus.MATCHED
    assert (request.places_taken, request.places_left) == (2, 0)

    with pytest.raises(NotAllowed):  # a matched request takes no more offers
        answer(late, request)
    db.session.rollback()


def test_matched_becomes_open_again_when_a_match_is_cancelled(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    match = accept(ann, answer(vic, request))
    assert reload(request).status == RequestStatus.MATCHED

    matches.cancel_match(vic, match, "Family emergency, so sorry.")
    db.session.commit()
    request = reload(request)
    assert request.status == RequestStatus.OPEN
    assert request.places_taken == 0
    assert board_ids() == [request.id]  # back on the board


# --- completed ----------------------------------------------------------------------


def test_complete_needs_an_active_match(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    with pytest.raises(NotAllowed, match="Accept a volunteer"):
        requests.complete_request(ann, request)
    db.session.rollback()

    match = accept(ann, answer(vic, request))
    matches.cancel_match(ann, match, "I found I need a different kind of help.")
    db.session.commit()
    with pytest.raises(NotAllowed):  # a cancelled match is not help given
        requests.complete_request(ann, reload(request))
    db.session.rollback()
    assert reload(request).status == RequestStatus.OPEN


def test_complete_needs_thanks_for_active_matches_first(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    wes = make_volunteer("Wes Volunteer", "beta-reading")
    request = make_request(ann, helpers=3)
    kept = accept(ann, answer(vic, request))
    dropped = accept(ann, answer(wes, request))
    matches.cancel_match(wes, dropped, "I cannot make the time after all.")
    db.session.commit()
    assert reload(request).status == RequestStatus.OPEN  # completing from open works too

    with pytest.raises(NotAllowed):
        requests.complete_request(vic, reload(request))  # only the requester
    db.session.rollback()
    with pytest.raises(NotAllowed, match=f"Thank your helper first.*/matches/{kept.id}"):
        requests.complete_request(ann, reload(request))  # the active match needs thanks
    db.session.rollback()
    assert reload(kept).status == MatchStatus.ACTIVE

    complete_match(ann, reload(kept), "Thank you for reading it so carefully.")
    db.session.commit()
    assert reload(kept).status == MatchStatus.COMPLETED and reload(kept).ended_at is not None
    assert reload(request).status == RequestStatus.OPEN  # a helper place is still free

    requests.complete_request(ann, reload(request))  # every match ended: done
    db.session.commit()
    request = reload(request)
    assert request.status == RequestStatus.COMPLETED and request.ended_at is not None
    assert reload(dropped).status == MatchStatus.CANCELLED  # untouched
    assert board_ids() == []

    with pytest.raises(NotAllowed, match="already ended"):
        requests.complete_request(ann, request)
    with pytest.raises(NotAllowed):
        requests.close_request(ann, request)
    with pytest.raises(NotAllowed):
        requests.reopen_request(ann, request)
    db.session.rollback()


# --- closed and reopened --------------------------------------------------------------


def test_only_the_requester_closes(app, make_user, make_request):
    ann, other = make_user(), make_user()
    request = make_request(ann)
    with pytest.raises(NotAllowed, match="Only the member who asked"):
        requests.close_request(other, request)
    db.session.rollback()
    assert reload(request).status == RequestStatus.OPEN

    requests.close_request(ann, reload(request))
    db.session.commit()
    request = reload(request)
    assert request.status == RequestStatus.CLOSED and request.ended_at is not None
    assert board_ids() == [] and board_ids("lighthouse") == []
    with pytest.raises(NotAllowed, match="already ended"):
        requests.close_request(ann, request)
    db.session.rollback()


def test_closing_a_matched_request_keeps_its_matches(app, make_user, make_volunteer, make_request):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    match = accept(ann, answer(vic, request))
    requests.close_request(ann, reload(request))
    db.session.commit()
    assert reload(request).status == RequestStatus.CLOSED
    assert reload(match).status == MatchStatus.ACTIVE


def test_reopen_a_closed_request(app, make_user, make_request):
    ann, other = make_user(), make_user()
    request = make_request(ann)
    with pytest.raises(NotAllowed, match="closed or expired"):
        requests.reopen_request(ann, request)  # still open
    db.session.rollback()
    requests.close_request(ann, reload(request))
    db.session.commit()

    with pytest.raises(NotAllowed):
        requests.reopen_request(other, reload(request))
    db.session.rollback()

    before = reload(request).last_activity_at
    requests.reopen_request(ann, reload(request))
    db.session.commit()
    request = reload(request)
    assert request.status == RequestStatus.OPEN and request.ended_at is None
    assert request.last_activity_at >= before  # the expiry clock starts again
    assert board_ids() == [request.id]


def test_reopen_an_expired_request(app, make_user, make_request):
    ann = make_user()
    request = make_request(ann)
    request.status, request.ended_at = RequestStatus.EXPIRED.value, utcnow()
    request.last_activity_at = utcnow() - timedelta(days=40)
    db.session.commit()

    requests.reopen_request(ann, reload(request))
    db.session.commit()
    request = reload(request)
    assert request.status == RequestStatus.OPEN and request.ended_at is None
    assert utcnow() - request.last_activity_at < timedelta(minutes=1)


def test_reopening_with_every_place_filled_goes_back_to_matched(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    accept(ann, answer(vic, request))
    requests.close_request(ann, reload(request))
    db.session.commit()
    requests.reopen_request(ann, reload(request))
    db.session.commit()
    assert reload(request).status == RequestStatus.MATCHED


def test_a_match_cancelled_while_closed_frees_its_place_for_the_reopened_request(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    match = accept(ann, answer(vic, request))
    requests.close_request(ann, reload(request))
    db.session.commit()
    matches.cancel_match(vic, reload(match), "Something came up, I am sorry.")
    db.session.commit()
    assert reload(request).status == RequestStatus.CLOSED
    assert reload(request).places_taken == 0  # the match no longer holds a place

    requests.reopen_request(ann, reload(request))
    db.session.commit()
    request = reload(request)
    assert request.status == RequestStatus.OPEN and request.places_left == 1


# --- editing --------------------------------------------------------------------------


def test_the_requester_edits_and_search_follows(app, make_user, make_request):
    ann = make_user()
    request = make_request(ann, title="Pacing notes on my lighthouse novel")
    request.reminder_sent_at = utcnow()
    request.last_activity_at = utcnow() - timedelta(days=20)
    db.session.commit()
    assert board_ids("lighthouse") == [request.id]

    requests.edit_request(
        ann,
        reload(request),
        request_input(
            title="Query letter for my submarine thriller",
            details="A thriller set aboard a submarine; the query letter needs a hook.",
            skill_ids=skill_ids("query-letters"),
            genre_id=genre_id("thriller"),
            format="call",
            helpers_wanted=2,
        ),
    )
    db.session.commit()
    request = reload(request)
    assert request.title == "Query letter for my submarine thriller"
    assert [s.slug for s in request.skills] == ["query-letters"]
    assert request.genre.slug == "thriller" and request.format == "call"
    assert request.helpers_wanted == 2
    assert utcnow() - request.last_activity_at < timedelta(minutes=1)
    assert request.reminder_sent_at is None  # activity: a new reminder later if quiet again
    assert board_ids("lighthouse") == []  # re-indexed: the old words are gone
    assert board_ids("submarine") == [request.id]
    assert board_ids("hook") == [request.id]


def test_only_the_requester_edits(app, make_user, make_request):
    ann, other = make_user(), make_user()
    request = make_request(ann)
    with pytest.raises(NotAllowed):
        requests.edit_request(other, request, request_input(title="Taken over by someone"))
    db.session.rollback()
    assert reload(request).title == "Beta readers for my fantasy novel"


def test_editing_checks_every_field(app, make_user, make_request):
    ann = make_user()
    request = make_request(ann)
    with pytest.raises(HelpingError) as caught:
        requests.edit_request(ann, request, request_input(title="x"))
    assert caught.value.field == "title"
    db.session.rollback()
    assert reload(request).title == "Beta readers for my fantasy novel"


def test_editing_cannot_ask_for_fewer_helpers_than_matched(
    app, make_user, make_volunteer, make_request
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    wes = make_volunteer("Wes Volunteer", "beta-reading")
    request = make_request(ann, helpers=3)
    accept(ann, answer(vic, request))
    accept(ann, answer(wes, request))

    with pytest.raises(HelpingError, match="2 helpers are already matched") as caught:
        requests.edit_request(ann, reload(request), request_input(helpers_wanted=1))
    assert caught.value.field == "helpers_wanted"
    db.session.rollback()
    assert reload(request).helpers_wanted == 3

    # Down to exactly the places taken: every place filled, so matched.
    requests.edit_request(ann, reload(request), request_input(helpers_wanted=2))
    db.session.commit()
    assert reload(request).status == RequestStatus.MATCHED

    # Up again: a place is free, so open.
    requests.edit_request(ann, reload(request), request_input(helpers_wanted=4))
    db.session.commit()
    request = reload(request)
    assert request.status == RequestStatus.OPEN and request.places_left == 2


@pytest.mark.parametrize("ending", ["close", "complete", "expire"])
def test_an_ended_request_cannot_be_edited(app, make_user, make_volunteer, make_request, ending):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    request = make_request(ann)
    if ending == "close":
        requests.close_request(ann, request)
    elif ending == "complete":
        complete_match(ann, accept(ann, answer(vic, request)), "Thank you for all your help!")
    else:
        request.status = RequestStatus.EXPIRED.value
    db.session.commit()
    with pytest.raises(NotAllowed, match="reopen it"):
        requests.edit_request(ann, reload(request), request_input(title="A brand new title"))
    db.session.rollback()


# --- who sees a request -------------------------------------------------------------


@pytest.mark.parametrize("status", ["open", "matched", "completed"])
def test_live_and_completed_requests_are_seen_by_every_member(app, make_user, make_request, status):
    ann, stranger = make_user(), make_user()
    request = make_request(ann)
    request.status = status
    db.session.commit()
    assert requests.access_request(stranger, request.id).id == request.id
    assert requests.access_request(ann, request.id).id == request.id


@pytest.mark.parametrize("status", ["closed", "expired"])
def test_ended_requests_are_seen_by_participants_and_admins_only(
    app, make_user, make_volunteer, make_request, status
):
    ann = make_user()
    vic = make_volunteer("Vic Volunteer", "beta-reading")
    withdrawn = make_volunteer("Wil Withdrawn", "beta-reading")
    stranger = make_user()
    admin = make_user(is_admin=True)
    request = make_request(ann)
    answer(vic, request)
    from community.helping import answers

    answers.withdraw_answer(withdrawn, answer(withdrawn, request))
    db.session.commit()
    request = reload(request)
    request.status = status
    db.session.commit()

    for allowed in (ann, vic, withdrawn, admin):
        assert requests.access_request(allowed, request.id).id == request.id
    for refused in (stranger, AnonymousUserMixin(), None):
        with pytest.raises(NotFound) as refused_error:
            requests.access_request(refused, request.id)
        with pytest.raises(NotFound) as missing_error:
            requests.access_request(refused, request.id + 1000)
        # The same answer as for a request that does not exist.
        assert str(refused_error.value) == str(missing_error.value)
