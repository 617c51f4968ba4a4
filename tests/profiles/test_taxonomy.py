"""The taxonomy helpers: curated order, lookups by slug."""

from community.profiles import taxonomy


def test_genres_and_skills_come_in_position_order(app):
    genres = taxonomy.all_genres()
    skills = taxonomy.all_skills()
    assert [g.position for g in genres] == sorted(g.position for g in genres)
    assert [s.position for s in skills] == sorted(s.position for s in skills)
    assert {"fantasy", "memoir"} <= {g.slug for g in genres}
    assert {"beta-reading", "query-letters", "moral-support"} <= {s.slug for s in skills}


def test_lookup_by_slug(app):
    assert taxonomy.genre_by_slug("fantasy").name == "Fantasy"
    assert taxonomy.skill_by_slug("critique").name == "Critique"
    assert taxonomy.genre_by_slug("no-such-genre") is None


def test_malformed_slugs_never_reach_the_database(app, count_queries):
    with count_queries() as counter:
        for slug in ("", None, "Fantasy", "fan\x00tasy", "x" * 41, "a b", "%"):
            assert taxonomy.genre_by_slug(slug) is None
            assert taxonomy.skill_by_slug(slug) is None
    assert counter.count == 0


def test_lookup_of_many_slugs_reports_the_unknown_ones(app):
    found, unknown = taxonomy.skills_by_slugs(["marketing", "critique", "nope", "BAD"])
    assert [s.slug for s in found] == ["critique", "marketing"]  # position order
    assert unknown == {"nope", "BAD"}
