"""Uploaded pack files: the limits and the refusals before and after validation."""

from __future__ import annotations

import pytest

from criteria.loader import PackError, PackRegistry, load_packs
from criteria.upload import (
    MAX_FILE_BYTES,
    MAX_QUESTIONS,
    MAX_TEXT_CHARS,
    Refusal,
    UploadRefused,
    check_upload,
    uploaded_key,
    uploaded_row_id,
)

MINIMAL = """\
id: team-basics
version: "1.0"
title: Team basics
language: en
categories:
  - id: ways
    title: Ways of working
    areas:
      - id: planning
        title: Planning
        questions:
          - id: planning-1
            text: How do you plan the team's work for the coming month?
"""

ALIAS_BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
"""


def refusal(data: bytes) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        check_upload(data, "pack.yaml")
    return caught.value


def questions(count: int, text: str = "How do you plan?") -> str:
    listed = "".join(f"          - id: q{n}\n            text: {text}\n" for n in range(count))
    return MINIMAL.split("        questions:\n")[0] + "        questions:\n" + listed


def test_a_valid_file_gives_its_pack_and_text():
    pack, source = check_upload(MINIMAL.encode(), "pack.yaml")
    assert pack.id == "team-basics" and len(pack.questions()) == 1
    assert source == MINIMAL


def test_problems_come_from_the_validator_with_where_they_are():
    broken = MINIMAL.replace("title: Planning", "titel: Planning")
    with pytest.raises(PackError) as caught:
        check_upload(broken.encode(), "mine.yaml")
    paths = [problem.path for problem in caught.value.problems]
    assert "categories[0].areas[0].titel" in paths
    assert any("did you mean 'title'" in problem.message for problem in caught.value.problems)


def test_a_syntax_error_is_reported_with_its_line():
    with pytest.raises(PackError) as caught:
        check_upload(b"id: [unclosed\n", "mine.yaml")
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (2, 1)
    assert problem.where() == "line 2, column 1"


def test_anchors_and_aliases_are_refused_before_anything_is_built():
    assert refusal(ALIAS_BOMB.encode()).reason == Refusal.ALIASES
    assert refusal(ALIAS_BOMB.encode()).params == {"line": 1}


def test_limits_of_size_depth_questions_and_text():
    assert refusal(b"#" * (MAX_FILE_BYTES + 1)).reason == Refusal.TOO_BIG
    assert refusal("id: x\n".encode("utf-16")).reason == Refusal.NOT_TEXT
    assert refusal(b"a: " + b"[" * 100 + b"]" * 100).reason == Refusal.TOO_DEEP
    many = refusal(questions(MAX_QUESTIONS + 1).encode())
    assert many.reason == Refusal.TOO_MANY_QUESTIONS
    assert many.params == {"count": MAX_QUESTIONS + 1, "limit": MAX_QUESTIONS}
    long = refusal(questions(1, "x" * (MAX_TEXT_CHARS + 1)).encode())
    assert long.reason == Refusal.TEXT_TOO_LONG and long.params["where"] == "q0"


def test_uploaded_keys_never_clash_with_pack_ids():
    assert uploaded_row_id(uploaded_key(17)) == 17
    assert uploaded_row_id("baldrige-organisation") is None
    assert uploaded_row_id("upload:x") is None


def test_the_registry_remembers_a_bounded_number_of_uploaded_packs():
    registry: PackRegistry = load_packs()
    pack, _ = check_upload(MINIMAL.encode(), "pack.yaml")
    for row in range(100):
        registry.remember(uploaded_key(row), pack)
    assert registry.remembers(uploaded_key(99)) and not registry.remembers(uploaded_key(0))
    assert registry.get(uploaded_key(99)) is pack
    assert len(registry.all()) == 2  # remembered packs are not offered to everyone


def test_a_problem_is_a_template_worded_by_whoever_shows_it():
    """The validator hands out templates; English by default, any language through a function."""

    def bracketed(template: str) -> str:  # a "translation" that shows where each template went
        return f"[{template}]"

    with pytest.raises(PackError) as caught:
        check_upload(b"id: x\nid: y\n", "mine.yaml")
    duplicate = caught.value.problems[0]
    assert duplicate.message == "duplicate key 'id' (first given on line 1); only one can be kept"
    assert duplicate.text.render(bracketed) == (
        "[duplicate key 'id' (first given on line 1); only one can be kept]"
    )
    assert duplicate.where(bracketed) == "[line 2, column 1]"
    # Nested parts (a described value, a "did you mean") go through the same function.
    with pytest.raises(PackError) as caught:
        check_upload((MINIMAL + "rating: sure\ntitel: x\n").encode(), "mine.yaml")
    worded = {problem.path: problem.text.render(bracketed) for problem in caught.value.problems}
    assert worded["rating"] == "[expected true or false, got [the text 'sure']]"
    assert worded["titel"].startswith("[unknown field 'titel'[; did you mean 'title'?] (known")
