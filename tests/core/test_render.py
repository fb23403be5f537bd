"""Splitting long HTML into messages: in order, within the limit, every piece valid for Telegram."""

from __future__ import annotations

import pytest

from bot.core.render import MESSAGE_LIMIT, esc, split_message
from bot.playground.botapi.telegram_html import parse_html


def test_short_blocks_share_a_message():
    assert split_message(["<b>one</b>", "two"]) == ["<b>one</b>\n\ntwo"]


def test_a_long_line_comes_after_the_lines_before_it():
    heading = "<b>1. How do you listen to customers?</b>"
    answer = esc("&" * 5000)
    messages = split_message([f"{heading}\n{answer}\nlast line"])
    assert messages[0].startswith(heading)
    shown = "".join(parse_html(m).text for m in messages).replace("\n", "")
    assert shown == "1. How do you listen to customers?" + "&" * 5000 + "last line"
    assert all(len(m) <= MESSAGE_LIMIT for m in messages)


@pytest.mark.parametrize("limit", [100, 333, MESSAGE_LIMIT])
def test_a_tagged_line_is_cut_with_its_tags_closed_and_reopened(limit):
    line = "<i>" + esc("Ana <said> & did " * 900) + "</i>"
    messages = split_message(["<b>Heading</b>", line], limit=limit)
    texts = []
    for message in messages:
        assert len(message) <= limit
        parsed = parse_html(message)  # raises where Telegram would refuse the HTML
        texts.append(parsed.text)
    assert "\n\n".join(texts).replace("\n\n", "") == "Heading" + "Ana <said> & did " * 900


def test_an_entity_is_never_cut_in_half():
    messages = split_message([esc("<>&" * 3000)], limit=500)
    assert all(parse_html(m) for m in messages)
    assert "".join(parse_html(m).text for m in messages) == "<>&" * 3000
