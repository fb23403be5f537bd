"""Consensus votes in a team's group: titles with HTML characters, secret votes in anonymous
teams, votes of people removed before the vote closed, and notes longer than a reply used to be.

End to end through the fake Bot API (which refuses what Telegram would) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

import yaml
from sqlalchemy import update

from bot.core.callbacks import consensus_vote_data
from bot.group.consensus_notes import NOTE_MAX_CHARS
from criteria.model import MATURITY_LEVELS
from storage.models import AssessmentRound, Consensus, ConsensusVote, Team
from tests.support.botrunner import running_bot
from tests.support.flows import start_team
from tests.support.groups import (
    AREAS,
    FIRST_AREA,
    alert_for,
    alerts_of,
    linked_group,
    remove_from_team,
    stored,
    stored_when,
    team_with_members,
)

LEVELS = [level.label for level in MATURITY_LEVELS]
HTML_AREA = "R&D <x>"


def pack_with_an_html_area_title() -> dict:
    return {
        "id": "html-titles",
        "version": "1.0",
        "title": "Titles & <tags>",
        "language": "en",
        "categories": [
            {
                "id": "cat",
                "title": "Category",
                "areas": [
                    {
                        "id": "rnd",
                        "title": HTML_AREA,
                        "questions": [{"id": "q-1", "text": "How do you <plan> & test?"}],
                    }
                ],
            }
        ],
    }


async def use_pack(db, pack_id: str) -> None:
    """The only team answers this pack from now on (as if it had been created with it)."""
    async with db.sessions() as session:
        await session.execute(update(Team).values(pack_id=pack_id))
        await session.execute(update(AssessmentRound).values(pack_id=pack_id))
        await session.commit()


def new_poll(group):
    return group.wait_for_message(predicate=lambda m: m.poll is not None)


async def test_a_vote_on_an_area_titled_with_html_characters(fake, db, tmp_path):
    (tmp_path / "html.yaml").write_text(yaml.safe_dump(pack_with_an_html_area_title()))
    async with running_bot(fake, db.url, criteria_dir=tmp_path):
        manager, _token = await start_team(fake)
        await use_pack(db, "html-titles")
        group = await linked_group(fake, manager)
        await manager.command("/consensus", "1", chat=group)
        poll = await new_poll(group)
        assert poll.poll.question == f"{HTML_AREA}: which maturity level has our team reached?"
        assert poll.poll.options == LEVELS
        await manager.answer_poll(poll, [1])
        await stored_when(db, lambda rows: len(rows) == 1, ConsensusVote)
        await manager.press(poll, "🛑 Close the vote")
        result = await group.wait_for_message(contains="Agreed for")
        assert f"Agreed for {HTML_AREA}: {LEVELS[1]}" in result.text

        # The same area as a secret vote (an anonymous team): its message escapes the title too.
        await manager.command("/anonymous", "on", chat=group)
        await group.wait_for_message(contains="anonymous")
        await manager.command("/consensus", "1", chat=group)
        secret = await group.wait_for_message(contains="secret")
        assert secret.text.startswith(f"🗳 {HTML_AREA}: which maturity level")


async def test_an_anonymous_team_votes_in_secret_and_sees_only_counts(fake, bot, db):
    manager, _token, (sam, ana) = await team_with_members(fake, "Sam", "Ana")
    group = await linked_group(fake, manager)
    await manager.command("/anonymous", "on", chat=group)
    await group.wait_for_message(contains="anonymous")
    stranger = fake.person("Stranger")

    await manager.command("/consensus", "1", chat=group)
    vote = await group.wait_for_message(contains="secret")
    assert vote.poll is None  # a Telegram poll would show names or count strangers
    assert vote.button_texts == [*LEVELS, "🛑 Close the vote"]
    assert "0 votes so far" in vote.text

    await sam.press(vote, LEVELS[2])
    await sam.wait_for_edit(vote)
    (toast,) = sam.callback_answers
    assert not toast.show_alert and f"Your vote: {LEVELS[2]}. Only you see this" in toast.text
    assert "1 vote so far" in vote.text
    await sam.press(vote, LEVELS[1])  # changed their mind: still one vote
    await fake.wait_until(lambda: len(sam.callback_answers) == 2)
    before = alerts_of(stranger)
    await stranger.press(vote, LEVELS[3])
    assert "Only members of" in await alert_for(fake, stranger, before)
    await ana.press(vote, LEVELS[1])
    await ana.wait_for_edit(vote)
    await manager.press(vote, LEVELS[3])
    await manager.wait_for_edit(vote)
    assert "3 votes so far" in vote.text
    assert not any(name in m.text for m in group.messages for name in ("Sam", "Ana", "Maria"))

    await manager.press(vote, "🛑 Close the vote")
    result = await group.wait_for_message(contains="Agreed for")
    assert "the vote is closed (3 votes)" in vote.text and not vote.buttons
    # Three voted, the team's threshold: the split per level shows, no names.
    assert f"{FIRST_AREA.title}: {LEVELS[1]} ({LEVELS[1]} 2, {LEVELS[3]} 1)" in result.text
    (row,) = await stored(db, Consensus)
    assert json.loads(row.vote_counts) == {MATURITY_LEVELS[1].id: 2, MATURITY_LEVELS[3].id: 1}
    stale_before = alerts_of(sam)
    await sam.press_data(vote, consensus_vote_data(row.id, 0))
    assert "already closed" in await alert_for(fake, sam, stale_before)

    # Fewer voters than the threshold: only how many voted, never the split.
    await manager.command("/consensus", "2", chat=group)
    second = await group.wait_for_message(contains="secret")
    await sam.press(second, LEVELS[0])
    await sam.wait_for_edit(second)
    await manager.press(second, LEVELS[2])
    await manager.wait_for_edit(second)
    await manager.press(second, "🛑 Close the vote")
    result = await group.wait_for_message(contains="Agreed for")
    assert f"Agreed for {AREAS[1].title}: {LEVELS[0]} (2 votes)." in result.text


async def test_a_vote_cast_before_the_voter_was_removed_does_not_count(fake, bot, db):
    manager, _token, (sam, ana) = await team_with_members(fake, "Sam", "Ana")
    group = await linked_group(fake, manager)
    await manager.command("/consensus", "1", chat=group)
    poll = await new_poll(group)
    await sam.answer_poll(poll, [3])
    await ana.answer_poll(poll, [3])
    await manager.answer_poll(poll, [1])
    await stored_when(db, lambda rows: len(rows) == 3, ConsensusVote)

    await remove_from_team(fake, db, manager, sam)
    await remove_from_team(fake, db, manager, ana)
    await manager.press(poll, "🛑 Close the vote")
    result = await group.wait_for_message(contains="Agreed for")
    assert f"{LEVELS[1]} ({LEVELS[1]} 1)" in result.text
    (row,) = await stored(db, Consensus)
    assert row.agreed_rating == MATURITY_LEVELS[1].id
    assert json.loads(row.vote_counts) == {MATURITY_LEVELS[1].id: 1}


async def test_long_notes_are_kept_whole_up_to_the_areas_limit_and_overflow_is_told(fake, bot, db):
    manager, _token = await start_team(fake)
    group = await linked_group(fake, manager)
    await manager.command("/consensus", "1", chat=group)
    poll = await new_poll(group)
    await manager.answer_poll(poll, [2])
    await stored_when(db, lambda rows: len(rows) == 1, ConsensusVote)
    await manager.press(poll, "🛑 Close the vote")
    prompt = await group.wait_for_message(contains="strengths")

    replies = [f"{n} <we> & listen " * 200 for n in range(1, 4)]  # 3,000 characters or so each
    for reply in replies[:2]:
        await manager.send(reply, chat=group, reply_to=prompt)
        noted = await group.wait_for_message(contains="Noted as a strength")
        assert "fit" not in noted.text
    (row,) = await stored(db, Consensus)
    assert row.strengths == "\n".join(r.strip() for r in replies[:2])  # nothing cut at 1,000

    room = NOTE_MAX_CHARS - len(row.strengths) - 1
    await manager.send(replies[2], chat=group, reply_to=prompt)
    partly = await group.wait_for_message(contains="Noted as a strength")
    total = len(replies[2].strip())
    assert f"Only the first {room:,} of your {total:,} characters fit" in partly.text
    assert "The rest was not saved" in partly.text
    await manager.send("One more thing", chat=group, reply_to=prompt)
    full = await group.wait_for_message(contains="notes are full")
    assert "8,000 characters" in full.text and "not added" in full.text
    (row,) = await stored(db, Consensus)
    assert len(row.strengths) == NOTE_MAX_CHARS

    # The summary shows all of it, in as many messages as it takes.
    await manager.command("/consensus", chat=group)
    first = await group.wait_for_message(contains="What Front desk")
    await group.wait_for_message(contains="/consensus N")
    parts = [m.text for m in group.messages if m.seq >= first.seq]
    assert len(parts) >= 2 and "3 <we> & listen" in "".join(parts)
