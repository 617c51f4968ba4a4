"""Business rules of profiles: editing a profile, who may see it, the directory.

Functions flush, never commit: the caller (a view, a job, the CLI) commits
once. Every rule about what a profile may hold lives here; the forms call the
same checks so that a member sees each field's problem next to that field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from community import trust
from community.accounts.models import User
from community.accounts.service import AccountError, clean_display_name
from community.db import ID_MAX, db
from community.errors import Invalid, NotFound
from community.profiles import taxonomy
from community.profiles.models import Genre, Profile, ProfileLink, Skill, WritingStage
from community.text import clean_line, clean_text

ABOUT_MAX = 5000
MAX_LINKS = 5
LINK_LABEL_MAX = 60
LINK_URL_MAX = 500
WEB_SCHEMES = ("http", "https")

DIRECTORY_PAGE_SIZE = 20
SEARCH_MAX = 100  # characters of the search box that are used
SEARCH_TERMS_MAX = 5
ORDERS = {"newest": "Newest first", "name": "By name"}
# Far beyond any real directory; keeps OFFSET inside every database's integer range.
PAGE_MAX = 100_000

# tzdata ships a few names that are not places a person lives in.
NOT_TIMEZONES = {"Factory", "localtime", "posixrules"}
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class ProfileError(Invalid):
    """A rule of profiles was broken; the message is fit to show the member.

    ``field`` names the input at fault as a dotted path of form field names
    (``"timezone"``, ``"links.2.url"``), or is None when no single one is.
    """


class LinkInput(NamedTuple):
    label: str
    url: str


# --- checks of single values -------------------------------------------------


def plain_text(text: str | None, *, multiline: bool = False) -> str:
    """``text`` cleaned as all members' text is (:func:`community.text.clean_text`),
    and on one line unless ``multiline``."""
    return clean_text(text) if multiline else clean_line(text)


def clean_about(text: str | None) -> str:
    """The "About me" text as stored: plain text, at most ABOUT_MAX characters."""
    about = plain_text(text, multiline=True).strip()
    if len(about) > ABOUT_MAX:
        raise ProfileError(
            f"Use at most {ABOUT_MAX:,} characters (this has {len(about):,}).", "about"
        )
    return about


@cache
def timezone_names() -> tuple[str, ...]:
    """Every timezone a member may choose, sorted. The tz database does not change
    while the process runs, so this is computed once."""
    return tuple(sorted(available_timezones() - NOT_TIMEZONES))


@cache
def _timezones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in timezone_names()}


def check_timezone(name: str | None) -> str | None:
    """The canonical spelling of timezone ``name``, or None for a blank one.

    Case is forgiven ("europe/london" is "Europe/London"); an unknown name
    raises ProfileError.
    """
    name = plain_text(name).strip()
    if not name:
        return None
    found = _timezones_by_folded_name().get(name.casefold())
    if found is None:
        raise ProfileError(
            "Choose a timezone from the list, such as Europe/London or America/New_York.",
            "timezone",
        )
    return found


def check_stage(stage: str | None) -> str | None:
    if not stage:
        return None
    try:
        return WritingStage(stage).value
    except ValueError:
        raise ProfileError("Choose a stage from the list.", "stage") from None


def check_link_url(url: str | None) -> str:
    """The web address as stored, or ProfileError(field="url").

    Only http and https are accepted: ``javascript:``, ``data:``, ``ftp:``
    and every other scheme are refused. An address typed without a scheme
    ("www.example.com") is taken to be https.
    """
    url = (url or "").strip()
    if not url:
        raise ProfileError("Add the web address, or clear the label.", "url")
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        raise ProfileError("A web address has no spaces in it.", "url")
    if SCHEME.match(url):
        scheme = url.split(":", 1)[0].lower()
        if scheme not in WEB_SCHEMES:
            raise ProfileError(
                f"Only web links can be shown: use an address starting with https:// "
                f"(not {scheme}:).",
                "url",
            )
    elif url.startswith("//"):
        url = "https:" + url
    else:
        url = "https://" + url
    if len(url) > LINK_URL_MAX:
        raise ProfileError(f"Use a web address of at most {LINK_URL_MAX} characters.", "url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        raise ProfileError("That does not look like a web address.", "url") from None
    host = parts.hostname or ""
    if not ("." in host or ":" in host) or not all(ch.isalnum() or ch in ".-_:" for ch in host):
        raise ProfileError(
            "That does not look like a web address: it needs a site name, such as "
            "https://example.com/.",
            "url",
        )
    if "@" in parts.netloc:
        # https://trusted.example@elsewhere.example leads to "elsewhere".
        raise ProfileError("Leave the name and password out of the web address.", "url")
    return url


def check_link(label: str | None, url: str | None) -> LinkInput | None:
    """One link row as stored, None for a blank row, or ProfileError(field="label"/"url").

    A row with an address but no label is labelled with the site's name.
    """
    label = " ".join(plain_text(label).split())
    if not label and not (url or "").strip():
        return None
    if len(label) > LINK_LABEL_MAX:
        raise ProfileError(f"Use a label of at most {LINK_LABEL_MAX} characters.", "label")
    url = check_link_url(url)
    if not label:
        host = urlsplit(url).hostname or url
        label = host.removeprefix("www.")[:LINK_LABEL_MAX]
    return LinkInput(label, url)


def is_web_url(url: str | None) -> bool:
    """Whether ``url`` is an absolute http(s) address, the only kind ever rendered."""
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return False
    return parts.scheme in WEB_SCHEMES and bool(parts.hostname)


# --- editing ---------------------------------------------------------------


def update_profile(
    user: User,
    *,
    display_name: str,
    about: str,
    stage: str | None,
    timezone: str | None,
    genres: Iterable[str],
    wanted_skills: Iterable[str],
    offered_skills: Iterable[str],
    links: Sequence[LinkInput | tuple[str, str]],
) -> Profile:
    """Replace what the member's profile says with the given values. Flushes.

    ``genres`` and the skill lists are slugs; ``links`` are (label, url)
    pairs in display order, blank pairs ignored. Everything is checked before
    anything changes, so on ProfileError (whose ``field`` names the input at
    fault) the member and profile are as they were. Verification is not
    required: a new member may write their profile before confirming.
    """
    try:
        name = clean_display_name(plain_text(display_name))
    except AccountError as error:
        raise ProfileError(str(error), "display_name") from None
    about = clean_about(about)
    stage = check_stage(stage)
    timezone = check_timezone(timezone)
    genre_rows = _taxonomy_rows(taxonomy.genres_by_slugs, genres, "genres")
    wanted_rows = _taxonomy_rows(taxonomy.skills_by_slugs, wanted_skills, "wants")
    offered_rows = _taxonomy_rows(taxonomy.skills_by_slugs, offered_skills, "offers")
    clean_links = _check_links(links)
    _check_new_links(user, name, about, links)

    profile = user.profile
    if profile is None:
        profile = user.profile = Profile()
    user.display_name = name
    profile.about = about
    profile.stage = stage
    profile.timezone = timezone
    profile.genres = genre_rows
    profile.wanted_skills = wanted_rows
    profile.offered_skills = offered_rows
    _replace_links(profile, clean_links)
    db.session.flush()
    return profile


def _taxonomy_rows(lookup, slugs: Iterable[str], field: str) -> list[Any]:
    rows, unknown = lookup(slugs)
    if unknown:
        raise ProfileError("Choose from the list.", field)
    return rows


def _check_links(links: Sequence[LinkInput | tuple[str, str]]) -> list[LinkInput]:
    cleaned: list[LinkInput] = []
    for index, (label, url) in enumerate(links):
        try:
            link = check_link(label, url)
        except ProfileError as error:
            raise ProfileError(str(error), f"links.{index}.{error.field}") from None
        if link is not None:
            cleaned.append(link)
    if len(cleaned) > MAX_LINKS:
        raise ProfileError(f"Show at most {MAX_LINKS} links.", "links")
    return cleaned


def _check_new_links(
    user: User, name: str, about: str, links: Sequence[LinkInput | tuple[str, str]]
) -> None:
    """Links the member's trust level does not allow yet are refused on their
    field; what the profile already shows may stay. ``links`` as typed (the
    field names the row), each row already checked."""
    profile = user.profile
    refused = trust.link_refusal(user, name, before=user.display_name or "")
    if refused:
        raise ProfileError(refused, "display_name")
    refused = trust.link_refusal(user, about, before=profile.about if profile else "")
    if refused:
        raise ProfileError(refused, "about")
    typed = [(index, check_link(label, url)) for index, (label, url) in enumerate(links)]
    typed = [(index, link) for index, link in typed if link is not None]
    if not typed or not current_app.config.get("TRUST_LIMITS", True):
        return
    shown = " ".join(f"{row.label} {row.url}" for row in (profile.links if profile else []))
    for index, (label, url) in typed:
        refused = trust.link_refusal(user, f"{label} {url}", before=shown)
        if refused:
            raise ProfileError(refused, f"links.{index}.url")


def _replace_links(profile: Profile, links: list[LinkInput]) -> None:
    # Rows are rewritten in place rather than deleted and re-added: the unit
    # of work inserts before it deletes, and a new row at a position still
    # held by an old one would break the (profile, position) unique constraint.
    existing = sorted(profile.links, key=lambda link: link.position)
    for position, (label, url) in enumerate(links):
        if position < len(existing):
            row = existing[position]
            row.position, row.label, row.url = position, label, url
        else:
            profile.links.append(ProfileLink(position=position, label=label, url=url))
    for row in existing[len(links) :]:
        profile.links.remove(row)


# --- viewing ---------------------------------------------------------------


def access_profile(user_id: int, viewer: Any) -> User:
    """The member ``user_id`` with their profile loaded, if ``viewer`` may see it.

    Profiles of verified members are public (anonymous visitors included).
    An unverified member's profile is seen only by that member and by
    admins, so that an address nobody confirmed cannot publish links.
    Raises NotFound for a missing, deleted or hidden member alike.
    """
    if not 0 < user_id <= ID_MAX:
        raise NotFound()
    user = db.session.scalar(
        select(User)
        .where(User.id == user_id, User.deleted_at.is_(None))
        .options(
            joinedload(User.profile).options(
                selectinload(Profile.genres),
                selectinload(Profile.wanted_skills),
                selectinload(Profile.offered_skills),
                selectinload(Profile.links),
            )
        )
    )
    if user is None or user.profile is None:
        raise NotFound()
    if not user.is_verified:
        is_self = getattr(viewer, "is_authenticated", False) and viewer.id == user.id
        if not (is_self or getattr(viewer, "is_admin", False)):
            raise NotFound()
    return user


def visible_links(profile: Profile) -> list[ProfileLink]:
    """The profile's links that may be rendered: http(s) only, whatever is stored."""
    return [link for link in profile.links if is_web_url(link.url)]


def local_time(timezone: str | None, now: datetime | None = None) -> datetime | None:
    """The time now in ``timezone``, or None when it is unset or no longer known."""
    if not timezone:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return (now or datetime.now(UTC)).astimezone(zone)


# --- the directory ---------------------------------------------------------


@dataclass(frozen=True)
class DirectoryQuery:
    """What the directory is asked for. Values are already valid (see the form)."""

    q: str = ""
    genre: str | None = None  # a genre slug
    offers: str | None = None  # a skill slug
    stage: str | None = None  # a WritingStage value
    order: str = "newest"  # a key of ORDERS
    page: int = 1

    def terms(self) -> list[str]:
        """The search words: each must appear in the name or the about text."""
        return plain_text(self.q)[:SEARCH_MAX].split()[:SEARCH_TERMS_MAX]

    def args(self) -> dict[str, str]:
        """The query-string arguments that reproduce this query, page aside."""
        values = {
            "q": self.q,
            "genre": self.genre,
            "offers": self.offers,
            "stage": self.stage,
            "order": self.order if self.order != "newest" else None,
        }
        return {key: value for key, value in values.items() if value}


def search_directory(query: DirectoryQuery):
    """One page of verified, not deleted members' profiles matching ``query``.

    Returns a Flask-SQLAlchemy Pagination of Profile rows, each with its
    user, genres and offered skills loaded: four queries whatever the page
    size. A page past the end gives the last page.
    """
    statement = (
        select(Profile)
        .join(Profile.user)
        .where(User.deleted_at.is_(None), User.email_verified_at.is_not(None))
        # The join already brings the member; contains_eager uses it instead
        # of a further query. Collections come in one query each.
        .options(
            contains_eager(Profile.user),
            selectinload(Profile.genres),
            selectinload(Profile.offered_skills),
        )
    )
    for term in query.terms():
        # autoescape makes % and _ in the term literal; icontains is
        # lower() LIKE lower() on SQLite and PostgreSQL alike.
        statement = statement.where(
            or_(
                User.display_name.icontains(term, autoescape=True),
                Profile.about.icontains(term, autoescape=True),
            )
        )
    if query.genre:
        statement = statement.where(Profile.genres.any(Genre.slug == query.genre))
    if query.offers:
        statement = statement.where(Profile.offered_skills.any(Skill.slug == query.offers))
    if query.stage:
        statement = statement.where(Profile.stage == query.stage)
    if query.order == "name":
        statement = statement.order_by(func.lower(User.display_name), User.id)
    else:
        statement = statement.order_by(User.created_at.desc(), User.id.desc())

    page = min(max(query.page, 1), PAGE_MAX)
    pagination = db.paginate(statement, page=page, per_page=DIRECTORY_PAGE_SIZE, error_out=False)
    if not pagination.items and page > 1 and pagination.pages:
        pagination = db.paginate(
            statement, page=pagination.pages, per_page=DIRECTORY_PAGE_SIZE, error_out=False
        )
    return pagination
