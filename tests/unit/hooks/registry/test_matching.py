"""AMQP topic rules, as kombu's topic exchange applies them."""

import pytest

from hooks.registry.matching import branch_matches, is_wildcard, topic_matches


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("a.b.c", "a.b.c", True),
        ("a.b.c", "a.b", False),
        ("a.*.c", "a.b.c", True),
        ("a.*.c", "a.c", False),
        ("a.*.c", "a.b.b.c", False),
        ("a.#", "a", True),
        ("a.#", "a.b.c.d", True),
        ("#", "anything.at.all", True),
        ("#.publish", "content_types.entries.publish", True),
        ("#.publish", "publish", True),
        ("content_types.#.publish", "content_types.blog.entries.publish", True),
        ("content_types.#.publish", "content_types.publish", True),
        ("content_types.*.publish", "content_types.entries.publish", True),
        ("content_types.*.publish", "content_types.blog.entries.publish", False),
        ("*", "a", True),
        ("*", "a.b", False),
        ("*.#", "a", True),
        ("#.*", "a.b", True),
        ("#.#", "a", True),
        ("a.#.b.#.c", "a.x.b.y.z.c", True),
        ("a.#.b.#.c", "a.x.y.c", False),
        ("#.#", "a.b.c", True),
        ("*.*", "a", False),
        ("*.*", "a.b", True),
        ("a.*.#", "a", False),
        ("a.*.#", "a.b.c", True),
        ("#.a.#", "b.a", True),
        ("#.a.#", "b.c", False),
        ("a.b", "a.b.c", False),
    ],
)
def test_topic_rules(pattern, topic, expected):
    assert topic_matches(pattern, topic) is expected


def test_wildcard_detection_looks_at_whole_segments():
    assert is_wildcard("a.*") and is_wildcard("#") and not is_wildcard("a.b_c")


def test_star_branch_matches_every_branch_and_names_match_exactly():
    assert branch_matches(["*"], "dev")
    assert branch_matches(["main", "dev"], "dev")
    assert not branch_matches(["main"], "main2")
