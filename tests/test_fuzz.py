"""No input produces a 500: generated values posted to every form route and
sent to every Socket.IO event, on SQLite and PostgreSQL.

Hypothesis draws, for each example, a route (or event), a member and a body:
huge and negative numbers, NUL and other control characters, bidirectional
overrides, 100 kB strings, unicode edge cases, missing and repeated fields.
Bounded (a fixed number of examples per database, no deadline) so that it
runs in CI; a failure prints the smallest example that fails.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

from community.extensions import socketio
from community.forms import KindredForm, KindredSubform
from tests.factories import PASSWORD
from tests.test_access import MATRIX, people  # noqa: F401  (fixture)

EXAMPLES = 120
MEMBERS = ("owner", "other", "third", "unverified", "moderator", "admin")

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202egnp.exe",
    "\u2066\u2069",
    "\x1b[31m",
    "\r\n\r\n",
    "e\u0301",
    "\ufeff",
    "\U0001f469\u200d\U0001f4bb",
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    "0",
    "1e309",
    "NaN",
    "2147483648",
    "x" * 100_000,
    "<script>alert(1)</script>",
    "%00",
    "../../etc/passwd",
]
numbers = st.integers(min_value=-(2**80), max_value=2**80).map(str)
texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40), numbers)


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def form_field_names() -> list[str]:
    """Every field name of the site's forms (and of their prefixed variants)."""
    names = {"csrf_token", "next", "links-0-label", "links-0-url"}
    for form in (*_all_subclasses(KindredForm), *_all_subclasses(KindredSubform)):
        for attribute, value in vars(form).items():
            if isinstance(value, UnboundField):
                names.add(attribute)
    for prefix in ("password", "email", "everywhere"):
        names |= {f"{prefix}-{name}" for name in list(names)}
    return sorted(names)


FIELDS = form_field_names()
# Some known fields kept valid so that examples get past the first check.
bodies = st.lists(
    st.tuples(st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), texts), max_size=12
).map(MultiDict)
SESSION_ENDERS = {
    "accounts.login",
    "accounts.logout",
    "accounts.sign_out_everywhere",
    "accounts.change_password",
    "accounts.delete_account",
}
FORM_ROUTES = sorted(key for key in MATRIX if key[1] == "POST")


def login_clients(app, people):  # noqa: F811
    clients = {}
    for member in MEMBERS:
        client = app.test_client()
        response = client.post(
            "/login", data={"email": f"{member}@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302
        clients[member] = client
    return clients


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_no_form_input_gives_a_500(app, people, data):  # noqa: F811
    clients = getattr(app, "_fuzz_clients", None) or login_clients(app, people)
    app._fuzz_clients = clients
    key = data.draw(st.sampled_from(FORM_ROUTES), label="route")
    member = data.draw(st.sampled_from(MEMBERS), label="member")
    body = data.draw(bodies, label="body")
    # The login form logs the client out of the member it stands for: keep
    # it for a fresh client.
    client = (
        app.test_client() if key[0] in ("accounts.login", "accounts.logout") else clients[member]
    )
    path = MATRIX[key].path.format(**people)
    response = client.post(path, data=body)
    assert response.status_code < 500, (key, member, body)


@settings(
    max_examples=EXAMPLES // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_no_query_string_gives_a_500(app, people, data):  # noqa: F811
    clients = getattr(app, "_fuzz_clients", None) or login_clients(app, people)
    app._fuzz_clients = clients
    key = data.draw(st.sampled_from(sorted(k for k in MATRIX if k[1] == "GET")), label="route")
    names = st.sampled_from(["page", "before", "q", "skill", "genre", "order", "next", "stage"])
    query = data.draw(st.lists(st.tuples(names, texts), max_size=4).map(MultiDict), label="query")
    path = MATRIX[key].path.format(**people)
    response = clients["owner"].get(path, query_string=query)
    assert response.status_code < 500, (key, query)


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        texts,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
EVENT_KEYS = ["conversation_id", "client_id", "body", "seq", "before_seq", "conversations"]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_no_socket_event_input_raises(app, people, data):  # noqa: F811
    sockets = getattr(app, "_fuzz_sockets", None)
    if sockets is None:
        clients = login_clients(app, people)
        sockets = {m: socketio.test_client(app, flask_test_client=c) for m, c in clients.items()}
        app._fuzz_sockets = sockets
    events = sorted(set(socketio.server.handlers["/"]) - {"connect", "disconnect"})
    event = data.draw(st.sampled_from(events), label="event")
    member = data.draw(st.sampled_from(MEMBERS), label="member")
    conversation = st.sampled_from([people["conversation_id"], str(people["conversation_id"])])
    body = data.draw(
        st.one_of(
            json_values,
            st.dictionaries(
                st.sampled_from(EVENT_KEYS), st.one_of(json_values, conversation), max_size=5
            ),
        ),
        label="data",
    )
    answer = sockets[member].emit(event, body, callback=True)
    assert isinstance(answer, dict), (event, body, answer)
    if not answer.get("ok"):
        assert answer["error"]["code"] != "server_error", (event, body, answer)


@pytest.fixture(autouse=True)
def _close_sockets(app):
    yield
    for sio in (getattr(app, "_fuzz_sockets", None) or {}).values():
        if sio.is_connected():
            sio.disconnect()
