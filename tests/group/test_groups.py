"""The team's group chat, end to end: real PTB, the fake Bot API (privacy mode on), real databases.

Every permission rule is tried by someone who must be refused: a non-member in a linked group, a
member of another team, a member acting as manager, and forged buttons.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from bot.core.callbacks import compare_data, consensus_close_data, group_link_data
from bot.core.render import esc
from bot.domain.compare import LEVEL_IDS, MemberAnswer, compare_question
from bot.group.charts import team_heatmap
from bot.group.compare import compare_text
from bot.playground.botapi.telegram_html import parse_html
from criteria.model import MATURITY_LEVELS
from storage.models import Consensus, ConsensusVote, GroupLink, Invite, Team
from tests.support.flows import INVITE_LINK, PACK, QUESTIONS, answer_current, start_team
from tests.support.groups import (
    AREAS,
    FIRST_AREA,
    alert_for,
    alerts_of,
    answer_first,
    linked_group,
    remove_from_team,
    stored,
    stored_when,
    team_with_members,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# The team name start_team gives, as the group shows it (the HTML is parsed away).
TEAM_NAME = "Front desk <North> & Co"


async def join_url(fake, person, message) -> str:
    """Press Join on `message`: the link the bot answers with (Telegram opens it for the
    presser alone: the private chat with the invite payload)."""
    before = len(person.callback_answers)
    await person.press(message, "🙋 Join")
    answer = await fake.wait_until(
        lambda: person.callback_answers[before] if len(person.callback_answers) > before else None
    )
    assert answer.url, answer
    return answer.url


async def test_group_commands_are_registered_for_group_chats(fake, bot):
    calls = fake.calls_to("setMyCommands")
    group_call = next(
        c for c in calls if c.params.get("scope", {}).get("type") == "all_group_chats"
    )
    names = {command["command"] for command in group_call.params["commands"]}
    assert {"link", "join", "progress", "compare", "consensus", "heatmap", "ratings"} <= names


async def test_added_to_group_introduces_itself_links_and_lets_people_join(fake, bot, db):
    manager, _token = await start_team(fake)
    nina = fake.person("Nina")
    group = fake.group("Front desk chat", members=[manager, nina])
    await group.add_bot(by=manager)
    intro = await group.wait_for_message(contains="Hello")
    assert "/link" in intro.text and "🙋 Join" in intro.button_texts

    # Before linking: nothing to show, and only a manager may link.
    await nina.command("/progress", chat=group)
    assert "not linked" in (await group.wait_for_message(contains="not linked")).text
    await nina.command("/link", chat=group)
    await group.wait_for_message(contains="Only a team manager")

    await manager.command("/link", chat=group)
    linked = await group.wait_for_message(contains="now linked")
    assert TEAM_NAME in linked.text
    links = await stored(db, GroupLink, GroupLink.chat_id == group.chat_id)
    assert len(links) == 1

    # Nina is not in the team: refused, pointed to /join. The Join button opens her private
    # chat with the team's standing invite; every press (and /join) reuses that one link.
    await nina.command("/compare", chat=group)
    await group.wait_for_message(contains=f"Only members of {TEAM_NAME}")
    messages_before = len(group.messages)
    url = await join_url(fake, nina, intro)
    match = INVITE_LINK.fullmatch(url)
    assert match and match.group(1) == fake.bot_username
    assert await join_url(fake, nina, linked) == url
    await nina.command("/join", chat=group)
    offer = await group.wait_for_message(contains="To join")
    assert offer.find_button(f"Join {TEAM_NAME}")["url"] == url
    assert len(group.messages) == messages_before + 1  # the answer to /join; presses post nothing
    assert len(await stored(db, Invite)) == 2  # /newteam's and the group's standing one
    await nina.command("/start", match.group(2))
    await nina.wait_for_message(contains="Welcome to")
    await nina.command("/progress", chat=group, mention_bot=True)  # /progress@BotName
    await group.wait_for_message(contains="members")

    # A member asking to join is told they are in already.
    await nina.command("/join", chat=group)
    await group.wait_for_message(contains="already in")


async def test_link_offers_a_choice_to_a_manager_of_several_teams(fake, bot, db):
    manager, _token = await start_team(fake)
    await manager.command("/newteam", "Back office baldrige-customer-management")
    await manager.wait_for_message(contains="is ready")
    group = fake.group("Office chat", members=[manager])
    await group.add_bot(by=manager)
    await group.wait_for_message(contains="Hello")
    await manager.command("/link", chat=group)
    choice = await group.wait_for_message(contains="Which team")
    assert set(choice.button_texts) == {TEAM_NAME, "Back office"}

    # Someone who manages neither team presses a button, or forges one for their own team.
    outsider, _ = await start_team(fake, "Olga")
    async with db.sessions() as session:
        olga_team = (await session.execute(select(Team).order_by(Team.id.desc()))).scalars()
        olga_team_id = next(iter(olga_team)).id
    before = alerts_of(outsider)
    await outsider.press(choice, "Back office")
    assert "do not manage" in await alert_for(fake, outsider, before)
    assert not await stored(db, GroupLink, GroupLink.chat_id == group.chat_id)

    await manager.press(choice, "Back office")
    await manager.wait_for_edit(choice)
    assert "Back office" in choice.text and "now linked" in choice.text
    (link,) = await stored(db, GroupLink, GroupLink.chat_id == group.chat_id)
    await outsider.press_data(choice, group_link_data(olga_team_id))
    assert "linked to Back office" in await alert_for(fake, outsider, before + 1)
    (still,) = await stored(db, GroupLink, GroupLink.chat_id == group.chat_id)
    assert still.team_id == link.team_id != olga_team_id


async def test_progress_shows_team_totals_by_area(fake, bot):
    manager, _token, (sam,) = await team_with_members(fake, "Sam")
    await answer_current(sam, "We listen.")
    group = await linked_group(fake, manager)
    await sam.command("/progress", chat=group)
    progress = await group.wait_for_message(contains="answers, 2 members")
    assert f"{FIRST_AREA.title} — 1/{2 * len(FIRST_AREA.questions)}" in progress.text
    assert f"(1/{2 * len(QUESTIONS)} answers" in progress.text


async def test_compare_steps_through_questions_in_one_message(fake, bot):
    manager, _token, (sam, ana) = await team_with_members(fake, "Sam", "Ana")
    await answer_first(manager, "We ask <customers> & partners", 0, manager=True)
    await answer_first(sam, "Quarterly survey", 2)
    await ana.press(ana.last_message, "🙅 Not my area")
    await ana.wait_for_message(contains=QUESTIONS[1].text)
    group = await linked_group(fake, manager)

    await sam.command("/compare", chat=group)
    shown = await group.wait_for_message(contains=QUESTIONS[0].text)
    assert "Maria · Reacting to problems\nWe ask <customers> & partners" in shown.text
    assert "Sam · Aligned approaches\nQuarterly survey" in shown.text
    assert "Ana · not my area" in shown.text
    assert "Reacting to problems: ▰ 1" in shown.text and "Aligned approaches: ▰ 1" in shown.text
    assert "The team disagrees: ratings span 3 maturity levels" in shown.text
    assert "⬅️ Previous" not in shown.button_texts

    await ana.press(shown, "Next ➡️")
    await ana.wait_for_edit(shown)
    assert QUESTIONS[1].text in shown.text and "Nobody has answered" in shown.text
    await ana.press(shown, "⏭ Next area")
    await ana.wait_for_edit(shown)
    second_area_first = PACK.area_of(QUESTIONS[len(FIRST_AREA.questions)].id)
    assert second_area_first.title in shown.text
    assert QUESTIONS[len(FIRST_AREA.questions)].text in shown.text
    await ana.press(shown, "⬅️ Previous")
    await ana.wait_for_edit(shown)
    assert QUESTIONS[len(FIRST_AREA.questions) - 1].text in shown.text
    assert len(group.messages) == 3  # intro, link, the one comparison: edited, never resent


async def test_anonymous_comparison_hides_names_and_waits_for_the_threshold(fake, bot):
    manager, _token, (sam, ana) = await team_with_members(fake, "Sam", "Ana")
    await answer_first(manager, "Manager's view", 1, manager=True)
    await answer_first(sam, "Sam's view", 1)
    group = await linked_group(fake, manager)

    await sam.command("/anonymous", "on", chat=group)  # a member cannot change it
    await group.wait_for_message(contains=f"Only a manager of {TEAM_NAME}")
    await manager.command("/anonymous", "on", chat=group)
    await group.wait_for_message(contains="anonymous")

    await sam.command("/compare", chat=group)
    hidden = await group.wait_for_message(contains=QUESTIONS[0].text)
    assert "show once at least 3 people have answered (2 so far)" in hidden.text
    assert "view" not in hidden.text and "Sam" not in hidden.text

    await answer_first(ana, "Ana's view", 1)
    await sam.command("/compare", chat=group)
    shown = await group.wait_for_message(contains=QUESTIONS[0].text)
    for number in (1, 2, 3):
        assert f"Member {number} · Early systematic approaches" in shown.text
    assert "Ana's view" in shown.text
    assert not any(name in shown.text for name in ("Maria", "Sam ·", "Ana ·"))

    await manager.command("/anonymous", "threshold 1", chat=group)
    await group.wait_for_message(contains="from 2 to 100")
    await manager.command("/anonymous", "off", chat=group)
    await group.wait_for_message(contains="show names")


async def test_refusals_non_member_other_team_member_as_manager_and_forged_buttons(fake, bot, db):
    manager, _token, (sam,) = await team_with_members(fake, "Sam")
    await answer_first(manager, "Team A secret answer", 1, manager=True)
    group_a = await linked_group(fake, manager)
    # Team B, with its own answers and its own group.
    bob, _token_b = await start_team(fake, "Bob")
    await answer_first(bob, "Team B secret answer", 3, manager=True)
    group_b = await linked_group(fake, bob, "Team B chat")
    stranger = fake.person("Stranger")

    # A stranger and a member of team B, in team A's group: refused, nothing of either team.
    for outsider in (stranger, bob):
        await outsider.command("/compare", chat=group_a)
        refusal = await group_a.wait_for_message(contains="Only members of")
        assert "secret" not in refusal.text
        await outsider.command("/heatmap", chat=group_a)
        await group_a.wait_for_message(contains="Only members of")

    # A member acting as manager.
    for command, args in (("/unlink", ""), ("/consensus", "1"), ("/anonymous", "on")):
        await sam.command(command, args, chat=group_a)
        await group_a.wait_for_message(contains=f"Only a manager of {TEAM_NAME}")
    assert await stored(db, GroupLink, GroupLink.chat_id == group_a.chat_id)

    # Team A's compare in group A never shows team B's answers.
    await sam.command("/compare", chat=group_a)
    compare_a = await group_a.wait_for_message(contains=QUESTIONS[0].text)
    assert "Team A secret" in compare_a.text and "Team B secret" not in compare_a.text

    # Forged buttons: team B's round in team A's group, an index out of range, a vote of
    # another team; each gets an alert and changes nothing.
    await bob.command("/compare", chat=group_b)
    compare_b = await group_b.wait_for_message(contains="Team B secret")
    round_b = int(re.match(r"gc:(\d+):", compare_b.buttons[0][0][1]).group(1))
    before = alerts_of(sam)
    await sam.press_data(compare_a, compare_data(round_b, 1))
    assert "out of date" in await alert_for(fake, sam, before)
    await sam.press_data(compare_a, compare_data(round_b + 1000, 9999))
    assert "out of date" in await alert_for(fake, sam, before + 1)
    assert compare_a.edit_count == 0

    await bob.command("/consensus", "1", chat=group_b)
    poll_b = await group_b.wait_for_message(predicate=lambda m: m.poll is not None)
    (row_b,) = await stored(db, Consensus)
    manager_alerts = alerts_of(manager)
    await manager.press_data(compare_a, consensus_close_data(row_b.id))
    assert "not this group's" in await alert_for(fake, manager, manager_alerts)
    await sam.press_data(poll_b, consensus_close_data(row_b.id))  # not even in team B
    assert "Only members of" in await alert_for(fake, sam, before + 2)
    assert not poll_b.poll.is_closed
    (row_b,) = await stored(db, Consensus)
    assert row_b.agreed_rating is None

    # Garbage callback data falls through to the generic answer.
    await sam.press_data(compare_a, "gc:not-a-number")
    assert "no longer valid" in await alert_for(fake, sam, before + 3)


async def test_consensus_vote_close_and_agreed_strengths_and_improvements(fake, bot, db):
    manager, _token, (sam, ana) = await team_with_members(fake, "Sam", "Ana")
    group = await linked_group(fake, manager)
    stranger = fake.person("Stranger")

    await manager.command("/consensus", "1", chat=group)
    poll = await group.wait_for_message(predicate=lambda m: m.poll is not None)
    assert FIRST_AREA.title in poll.poll.question
    assert poll.poll.options == [level.label for level in MATURITY_LEVELS]
    assert not poll.poll.is_anonymous
    await manager.command("/consensus", "1", chat=group)
    await group.wait_for_message(contains="already open")

    await manager.answer_poll(poll, [2])
    await sam.answer_poll(poll, [2])
    await ana.answer_poll(poll, [1])
    await stranger.answer_poll(poll, [0])  # in the group, not in the team: not counted
    await stranger.answer_poll(poll, [3])
    votes = await stored_when(db, lambda rows: len(rows) >= 3, ConsensusVote)
    await fake.wait_idle()  # the stranger's votes, which change nothing, are handled too
    assert sorted(v.rating for v in votes) == sorted(
        [MATURITY_LEVELS[2].id, MATURITY_LEVELS[2].id, MATURITY_LEVELS[1].id]
    )

    before = alerts_of(sam)
    await sam.press(poll, "🛑 Close the vote")  # members cannot close it
    assert "Only a manager" in await alert_for(fake, sam, before)
    assert not poll.poll.is_closed

    await manager.press(poll, "🛑 Close the vote")
    result = await group.wait_for_message(contains="Agreed for")
    assert poll.poll.is_closed
    assert f"Agreed for {FIRST_AREA.title}: {MATURITY_LEVELS[2].label}" in result.text
    strengths_prompt = result
    improvements_prompt = await group.wait_for_message(contains="opportunities for improvement")
    (row,) = await stored(db, Consensus)
    assert row.agreed_rating == MATURITY_LEVELS[2].id
    assert json.loads(row.vote_counts) == {MATURITY_LEVELS[1].id: 1, MATURITY_LEVELS[2].id: 2}

    # A stale Close press after the vote changes nothing.
    before_manager = alerts_of(manager)
    await manager.press_data(poll, consensus_close_data(row.id))
    assert "already closed" in await alert_for(fake, manager, before_manager)

    await sam.send("We <really> listen to customers", chat=group, reply_to=strengths_prompt)
    await group.wait_for_message(contains="Noted as a strength")
    await ana.send("Complaints data is unused", chat=group, reply_to=improvements_prompt)
    await group.wait_for_message(contains="Noted as an opportunity for improvement")
    await stranger.send("Let me in", chat=group, reply_to=strengths_prompt)
    await group.wait_for_message(contains="Only members of")
    (row,) = await stored(db, Consensus)
    assert row.strengths == "We <really> listen to customers"
    assert row.improvements == "Complaints data is unused"

    await ana.command("/consensus", chat=group)
    summary = await group.wait_for_message(contains="agreed")
    assert f"1. {FIRST_AREA.title} — ✅ {MATURITY_LEVELS[2].label}" in summary.text
    assert "💪 We <really> listen to customers" in summary.text
    assert "🎯 Complaints data is unused" in summary.text
    assert f"2. {AREAS[1].title} — not agreed yet" in summary.text


async def test_a_vote_nobody_in_the_team_answered_records_nothing(fake, bot, db):
    manager, _token = await start_team(fake)
    group = await linked_group(fake, manager)
    await manager.command("/consensus", "2", chat=group)
    poll = await group.wait_for_message(predicate=lambda m: m.poll is not None)
    await manager.press(poll, "🛑 Close the vote")
    await group.wait_for_message(contains="nothing was recorded")
    (row,) = await stored(db, Consensus)
    assert row.agreed_rating is None and row.poll_id is None
    await manager.command("/consensus", chat=group)
    summary = await group.wait_for_message(contains="agreed")
    assert f"2. {AREAS[1].title} — not agreed yet" in summary.text


@pytest.mark.parametrize("anonymous", [False, True])
async def test_heatmap_and_ratings_are_png_photos(fake, bot, anonymous):
    manager, _token, (sam,) = await team_with_members(fake, "Sam")
    await answer_first(manager, "One", 1, manager=True)
    await answer_first(sam, "Two", 3)
    group = await linked_group(fake, manager)
    if anonymous:
        await manager.command("/anonymous", "on", chat=group)
        await group.wait_for_message(contains="anonymous")
    for command, caption in (("/heatmap", "by member"), ("/ratings", "maturity ratings")):
        await sam.command(command, chat=group)
        picture = await group.wait_for_message(predicate=lambda m: m.photo is not None)
        assert caption in picture.text
        if command == "/heatmap":
            assert ("instead of names" in picture.text) == anonymous
            assert "Sam" not in picture.text and "Maria" not in picture.text
        assert picture.photo.data.startswith(PNG_MAGIC)
        assert picture.photo.width >= 400 and picture.photo.height >= 200
    if anonymous:
        assert "fewer than 3 people" in picture.text


async def test_removing_the_bot_deletes_the_link(fake, bot, db):
    manager, _token = await start_team(fake)
    group = await linked_group(fake, manager)
    await group.remove_bot(by=manager)
    assert not await stored_when(
        db, lambda rows: not rows, GroupLink, GroupLink.chat_id == group.chat_id
    )


async def test_upgrade_to_supergroup_moves_the_link(fake, bot, db):
    manager, _token, (sam,) = await team_with_members(fake, "Sam")
    group = await linked_group(fake, manager)
    old_id = group.chat_id
    new_id = await group.migrate_to_supergroup()
    (link,) = await stored_when(db, lambda rows: rows and rows[0].chat_id == new_id, GroupLink)
    assert link.chat_id == new_id != old_id
    await sam.command("/progress", chat=group)
    progress = await group.wait_for_message(contains="members")
    assert progress.chat_id == new_id


async def test_unlink_and_unknown_commands_in_groups(fake, bot, db):
    manager, _token = await start_team(fake)
    group = await linked_group(fake, manager)
    await manager.command("/frobnicate", chat=group)  # maybe another bot's: no answer
    await manager.command("/unlink", chat=group)
    unlinked = await group.wait_for_message(contains="no longer linked")
    assert TEAM_NAME in unlinked.text
    assert not any("don't know" in m.text for m in group.messages)
    assert not await stored(db, GroupLink)


@pytest.mark.parametrize("members", [1, 12, 150])
def test_a_comparison_always_fits_one_message(members):
    """Long answers full of HTML characters, from many members, still make one valid message."""
    answers = [
        MemberAnswer(
            n, f"Person <{n}> & co " * 5, "answered", "<b>&amp;</b> " * 400, LEVEL_IDS[n % 4]
        )
        for n in range(members)
    ]
    comparison = compare_question(answers, anonymous=False, threshold=3, salt="1:q")
    head = f"🔍 <b>{esc('Area & title ' * 20)}</b>\n<i>{esc('Question <text> ' * 70)}</i>"
    text = compare_text(head, comparison, threshold=3)
    parsed = parse_html(text)  # balanced tags, entities intact
    assert len(parsed.text) <= 4096 and len(text) <= 4096
    assert "Person <0> & co" in parsed.text
    if members == 150:
        assert "more (the export has every answer)" in parsed.text


async def test_a_removed_person_is_refused_in_the_group_and_its_join_link_does_not_bring_them_back(
    fake, bot, db
):
    manager, token, (sam,) = await team_with_members(fake, "Sam")
    group = await linked_group(fake, manager)
    linked = next(m for m in group.messages if "now linked" in m.text)
    await remove_from_team(fake, db, manager, sam)

    await sam.command("/compare", chat=group)
    refusal = await group.wait_for_message(contains="A manager removed you from")
    assert TEAM_NAME in refusal.text
    before = alerts_of(sam)
    await sam.press(linked, "🙋 Join")
    assert "ask a manager for a new invite" in await alert_for(fake, sam, before)
    assert not any(answer.url for answer in sam.callback_answers)

    # Someone new presses Join after the removal: the group's standing link is made now, and
    # still does not let Sam back in (everyone in the group can tap it); neither does the old one.
    olga = fake.person("Olga")
    standing = INVITE_LINK.fullmatch(await join_url(fake, olga, linked)).group(2)
    for old in (standing, token):
        await sam.command("/start", old)
        told = await sam.wait_for_message(contains="You were removed from")
        assert TEAM_NAME in told.text and "ask a manager for a new invite" in told.text
    await olga.command("/start", standing)
    await olga.wait_for_message(contains="Welcome to")
    await sam.command("/progress", chat=group)
    await group.wait_for_message(contains="A manager removed you from")
    assert len(await stored(db, Invite)) == 2


async def test_a_higher_anonymity_threshold_hides_answers_until_it_is_reached(fake, bot):
    manager, _token, (sam, ana, lee) = await team_with_members(fake, "Sam", "Ana", "Lee")
    await answer_first(manager, "Manager's view", 1, manager=True)
    await answer_first(sam, "Sam's view", 1)
    await answer_first(ana, "Ana's view", 2)
    group = await linked_group(fake, manager)
    await manager.command("/anonymous", "on", chat=group)
    await group.wait_for_message(contains="anonymous")
    await manager.command("/anonymous", "threshold 4", chat=group)
    setting = await group.wait_for_message(contains="anonymous")
    assert "at least 4 people" in setting.text

    await sam.command("/compare", chat=group)
    hidden = await group.wait_for_message(contains=QUESTIONS[0].text)
    assert "show once at least 4 people have answered (3 so far)" in hidden.text
    assert "view" not in hidden.text

    await answer_first(lee, "Lee's view", 1)
    await sam.command("/compare", chat=group)
    shown = await group.wait_for_message(contains=QUESTIONS[0].text)
    for number in (1, 2, 3, 4):
        assert f"Member {number} ·" in shown.text
    assert "Lee's view" in shown.text and "Sam ·" not in shown.text


def test_an_anonymous_heatmap_is_drawn_with_member_numbers_not_names():
    members = [(1, "Maria"), (2, "Sam <x> & co"), (3, "Ana")]
    statuses = {1: {QUESTIONS[0].id: "answered"}, 3: {QUESTIONS[1].id: "not_my_area"}}
    named = team_heatmap(PACK, members, statuses, anonymous=False, salt="7:heatmap")
    assert sorted(named.people) == sorted(name for _, name in members)
    anonymous = team_heatmap(PACK, members, statuses, anonymous=True, salt="7:heatmap")
    assert sorted(anonymous.people) == ["Member 1", "Member 2", "Member 3"]
    assert anonymous.shares == named.shares  # the same rows, least complete first
    drawn = " ".join(anonymous.people + anonymous.areas)
    assert not any(name in drawn for name in ("Maria", "Sam", "Ana"))
