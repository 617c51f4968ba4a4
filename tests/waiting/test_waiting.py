"""What's waiting for a member: each kind of thing they owe someone, gone the
moment they act; the count (one query) always agrees with the list; the
page, its navigation badge and the landing after logging in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from community import blocking
from community.chat import service as chat
from community.db import db, utcnow
from community.helping import answers, check_ins, closure, matches, requests
from community.kindness import service as kindness
from community.waiting.service import waiting_count, waiting_for
from tests.builders import accept, answer, make_request, reload
from tests.factories import PASSWORD


@pytest.fixture
def ann(make_user):
    return make_user(email="ann@example.com", display_name="Ann Asker")


@pytest.fixture
def vic(make_user, make_offer):
    vic = make_user(email="vic@example.com", display_name="Vic Volunteer")
    make_offer(vic, capacity=5)
    return vic


def waiting(user) -> dict[str, list]:
    """The member's list by kind (as ids), checked against the count."""
    found = waiting_for(user.id)
    assert waiting_count(user.id) == found.total
    return {
        "invitations": [a.id for a in found.invitations],
        "offers": [a.id for a in found.offers],
        "first_messages": [item.match.id for item in found.first_messages],
        "thanks": [t.id for t in found.thanks],
        "check_ins": [m.id for m in found.check_ins],
        "to_thank": [m.id for m in found.to_thank],
        "closures": [m.id for m in found.closures],
    }


NOTHING = {
    "invitations": [],
    "offers": [],
    "first_messages": [],
    "thanks": [],
    "check_ins": [],
    "to_thank": [],
    "closures": [],
}


def write(user, match, text: str = "Hello! Tell me about your book.") -> None:
    conversation_id = chat.conversation_id_of_match(match.id)
    chat.send(user, conversation_id, f"m{utcnow().timestamp()}".replace(".", "-"), text)
    db.session.commit()


def test_nothing_waits_for_a_new_member(app, ann):
    assert waiting(ann) == NOTHING
    assert waiting_count(ann.id) == 0


def test_an_invitation_waits_until_the_volunteer_answers(app, ann, vic):
    request = make_request(ann)
    invitation = answers.invite_volunteer(ann, request, vic, "Would you read it?")
    db.session.commit()
    assert waiting(vic) == {**NOTHING, "invitations": [invitation.id]}
    assert waiting(ann) == NOTHING  # the requester waits; she owes nothing

    answers.decline_invitation(vic, reload(invitation), "Not this time, sorry.")
    db.session.commit()
    assert waiting(vic) == NOTHING


def test_an_invitation_on_a_closed_request_no_longer_waits(app, ann, vic):
    request = make_request(ann)
    answers.invite_volunteer(ann, request, vic)
    db.session.commit()
    requests.close_request(ann, reload(request))
    db.session.commit()
    assert waiting(vic) == NOTHING


def test_an_offer_waits_for_the_requester_then_first_messages_for_both(app, ann, vic):
    request = make_request(ann)
    offer = answer(vic, request)
    assert waiting(ann) == {**NOTHING, "offers": [offer.id]}
    assert waiting(vic) == NOTHING

    match = accept(ann, reload(offer))
    # Accepted: now each owes the other a first message.
    assert waiting(ann) == {**NOTHING, "first_messages": [match.id]}
    assert waiting(vic) == {**NOTHING, "first_messages": [match.id]}
    [item] = waiting_for(vic.id).first_messages
    assert (item.other.id, item.other_wrote) == (ann.id, False)
    assert item.conversation_id == chat.conversation_id_of_match(match.id)

    write(vic, match)
    assert waiting(vic) == NOTHING
    [item] = waiting_for(ann.id).first_messages
    assert (item.other.id, item.other_wrote) == (vic.id, True)

    write(ann, match, "Thank you! It is a lighthouse novel.")
    assert waiting(ann) == NOTHING


def test_a_declined_offer_no_longer_waits(app, ann, vic):
    request = make_request(ann)
    offer = answer(vic, request)
    answers.decline_answer(ann, reload(offer), "I found help already, thank you!")
    db.session.commit()
    assert waiting(ann) == NOTHING


def test_a_cancelled_match_no_longer_waits(app, ann, vic):
    match = accept(ann, answer(vic, make_request(ann)))
    matches.cancel_match(vic, reload(match), "Something came up, I am sorry.")
    db.session.commit()
    # Only the private closing words (community.helping.closure), until written.
    assert waiting(ann) == {**NOTHING, "closures": [match.id]}
    assert waiting(vic) == {**NOTHING, "closures": [match.id]}
    closure.write_closure(ann, reload(match), "Kind of Vic to say so early.")
    closure.write_closure(vic, reload(match), "I should not have offered this month.")
    db.session.commit()
    assert waiting(ann) == NOTHING
    assert waiting(vic) == NOTHING


def test_check_ins_and_a_helper_to_thank_wait_until_answered(app, ann, vic):
    match = accept(ann, answer(vic, make_request(ann)))
    write(vic, match)
    write(ann, match, "Thank you, Vic!")
    due = reload(match).check_in_due_at
    assert check_ins.send_check_ins(now=due + timedelta(minutes=1)) == 1
    assert waiting(ann) == {**NOTHING, "check_ins": [match.id]}
    assert waiting(vic) == {**NOTHING, "check_ins": [match.id]}
    check_ins.finish_part(vic, reload(match))
    db.session.commit()
    assert waiting(vic) == NOTHING
    assert waiting(ann) == {**NOTHING, "to_thank": [match.id]}
    kindness.complete_match(ann, reload(match), "Thank you, your notes were wonderful.")
    db.session.commit()
    assert waiting(ann) == {**NOTHING, "closures": [match.id]}


def test_a_thank_you_to_confirm_waits_for_the_helper(app, ann, vic):
    thanks = kindness.thank_outside(ann, vic, "You read my opening chapter and it sings now.")
    db.session.commit()
    assert waiting(vic) == {**NOTHING, "thanks": [thanks.id]}
    kindness.confirm_thanks(vic, reload(thanks))
    db.session.commit()
    assert waiting(vic) == NOTHING


def test_a_block_hides_what_the_pair_owed_each_other(app, ann, vic, make_user):
    request = make_request(ann)
    answer(vic, request)
    kindness.thank_outside(ann, vic, "You read my opening chapter and it sings now.")
    db.session.commit()
    assert waiting_count(ann.id) == 1
    assert waiting_count(vic.id) == 1
    blocking.block(ann, vic)
    db.session.commit()
    assert waiting(ann) == NOTHING
    assert waiting(vic) == NOTHING


def test_the_count_is_one_query_and_the_list_a_bounded_number(
    app, ann, make_user, make_offer, count_queries
):
    ann_id = ann.id

    def everything_once():
        db.session.expire_all()
        with count_queries() as counted:
            waiting_count(ann_id)
        count_queries_of_count = counted.count
        with count_queries() as counted:
            found = waiting_for(ann_id)
            # What the page shows of each: no query more per item.
            shown = [(i.match.request.title, i.other.display_name) for i in found.first_messages]
            shown += [(a.request.title, a.volunteer.display_name) for a in found.offers]
        return count_queries_of_count, counted.count, len(shown)

    for n in range(3):
        helper = make_user(display_name=f"Helper {n}")
        make_offer(helper, capacity=5)
        accept(ann, answer(helper, make_request(ann, title=f"Request {n}")))
        answer(helper, make_request(ann, title=f"Another request {n}"))
    small = everything_once()
    for n in range(3, 6):
        helper = make_user(display_name=f"Helper {n}")
        make_offer(helper, capacity=5)
        accept(ann, answer(helper, make_request(ann, title=f"Request {n}")))
        answer(helper, make_request(ann, title=f"Another request {n}"))
    large = everything_once()

    assert small[2] == 6 and large[2] == 12
    assert small[0] == large[0] == 1
    assert small[1] == large[1] <= 8


# --- the page -----------------------------------------------------------------


def test_the_page_lists_each_kind_with_a_link(app, client, auth, ann, vic, make_user, make_offer):
    request = make_request(ann, title="Pacing notes on my lighthouse novel")
    offer = answer(vic, request)
    other_request = make_request(ann, title="A query letter that sings")
    kim = make_user(email="kim@example.com", display_name="Kim Keen")
    matched = accept(ann, answer(vic, other_request))
    vic_helper = make_user(email="zed@example.com", display_name="Zed Zeal")
    kindness.thank_outside(vic_helper, ann, "You told me to cut the prologue and you were right.")
    db.session.commit()
    invited_request = make_request(kim, title="Moral support for launch week")
    make_offer(ann, capacity=3)  # Ann volunteers too, so Kim can invite her
    answers.invite_volunteer(kim, invited_request, ann)
    db.session.commit()

    auth.login("ann@example.com", PASSWORD)
    response = client.get("/waiting")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'aria-label="4 waiting for you"' in page  # the navigation's badge
    assert f'href="/chats/{chat.conversation_id_of_match(matched.id)}"' in page
    assert "Neither of you has written yet to Vic Volunteer." in page
    assert f'href="/requests/{offer.request_id}"' in page  # the offer, on its request
    assert "Vic Volunteer offered to help with" in page
    assert "Kim Keen invited you to help with" in page
    assert f'href="/requests/{invited_request.id}"' in page
    assert "Zed Zeal says you helped them" in page
    assert 'href="/thanks"' in page


def test_an_empty_page_says_so(app, client, auth, ann):
    auth.login("ann@example.com", PASSWORD)
    page = client.get("/waiting").get_data(as_text=True)
    assert 'id="nothing-waiting"' in page
    assert "waiting for you</span>" not in page  # no badge


def test_logging_in_lands_on_what_waits_when_something_does(app, client, auth, ann, vic):
    response = auth.login("ann@example.com", PASSWORD)
    assert response.headers["Location"] == "/"  # nothing waits: the usual place
    auth.logout()

    answer(vic, make_request(ann))
    response = auth.login("ann@example.com", PASSWORD)
    assert response.headers["Location"] == "/waiting"
    auth.logout()

    # A page the member was going to comes first.
    response = client.post(
        "/login?next=/members", data={"email": "ann@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/members"
