"""Someone in many teams with long names full of HTML characters: every list stays within
Telegram's limits (4,096 characters a message, 200 an alert) and leaves nobody out silently."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import select

from bot.core.callbacks import compare_data
from bot.core.group_turn import alert_text
from storage.models import GroupLink, Membership, Person, Role, Team
from tests.support.flows import start_team

EXTRA_TEAMS = 59
TEAM_NAME_MAX = 100


def long_name(number: int) -> str:
    return (f"<Team {number:02}> & " + "R&D <ops> " * 10)[:TEAM_NAME_MAX]


async def manager_of_many_teams(fake, db):
    """Maria manages her own team and 59 more with 100-character names; Olga is in them all,
    so Maria must hand every one of them over before /forget."""
    maria, _token = await start_team(fake)
    async with db.sessions() as session:
        maria_id = (
            await session.execute(select(Person.id).where(Person.telegram_user_id == maria.user_id))
        ).scalar_one()
        olga = Person(telegram_user_id=3_000_000, first_name="Olga")
        session.add(olga)
        await session.flush()
        for team_id in (await session.execute(select(Team.id))).scalars().all():
            session.add(Membership(team_id=team_id, person_id=olga.id))
        for number in range(EXTRA_TEAMS):
            team = Team(name=long_name(number), pack_id="baldrige-customer-management")
            session.add(team)
            await session.flush()
            session.add(Membership(team_id=team.id, person_id=maria_id, role=Role.MANAGER))
            session.add(Membership(team_id=team.id, person_id=olga.id))
        await session.commit()
    return maria


async def replies_to(fake, person, command: str, last_contains: str) -> list[str]:
    """Every message the bot sends for one command, up to the one containing `last_contains`."""
    await person.command(command)
    first = await person.wait_for_message()
    if last_contains not in first.text:
        await person.wait_for_message(contains=last_contains)
    return [m.text for m in person.messages if m.seq >= first.seq]


async def test_private_lists_of_many_long_team_names_are_split_not_cut(fake, bot, db):
    maria = await manager_of_many_teams(fake, db)
    names = [long_name(number) for number in range(EXTRA_TEAMS)]

    teams = await replies_to(fake, maria, "/teams", "▫️ " + names[-1])
    assert len(teams) >= 2 and all(len(text) <= 4096 for text in teams)
    assert all(name in "\n".join(teams) for name in names)
    listing = maria.messages[-1]
    assert len(listing.button_texts) == EXTRA_TEAMS + 1
    assert all(len(text) <= 60 for text in listing.button_texts)

    summary = await replies_to(fake, maria, "/mydata", "/forget deletes it")
    assert len(summary) >= 2
    assert all(name in "".join(summary) for name in names)
    await maria.wait_for_message(lambda m: m.document is not None)

    hand_over = await replies_to(fake, maria, "/forget", "Hand over first")
    assert len(hand_over) >= 2 and "only manager of these teams" in hand_over[0]
    assert all(f"• {name}" in "\n".join(hand_over) for name in names)


async def test_link_in_a_group_offers_some_teams_and_finds_the_others_by_name(fake, bot, db):
    maria = await manager_of_many_teams(fake, db)
    group = fake.group("Ops chat", members=[maria])
    await group.add_bot(by=maria)
    await group.wait_for_message(contains="Hello")
    await maria.command("/link", chat=group)
    choice = await group.wait_for_message(contains="Which team")
    assert "Here are 20 of the 60 teams that match" in choice.text
    assert len(choice.button_texts) == 20

    await maria.command("/link", "Team 42>", chat=group)
    linked = await group.wait_for_message(contains="now linked")
    assert long_name(42) in linked.text
    await maria.command("/link", chat=group)  # linked already: says to which team
    await group.wait_for_message(contains="already linked")

    # The team speaks Russian, whose refusals are longer: the alert still fits, name and all.
    async with db.sessions() as session:
        (link,) = (await session.execute(select(GroupLink))).scalars()
        await session.execute(update(Team).where(Team.id == link.team_id).values(language="ru"))
        await session.commit()
    stranger = fake.person("Stranger")
    await stranger.press_data(linked, compare_data(1, 0))
    alert = await fake.wait_until(lambda: next(iter(stranger.callback_answers), None))
    assert alert.show_alert and long_name(42) in alert.text and len(alert.text) <= 200
    assert alert.text.startswith("Здесь этим могут пользоваться только участники")


def test_alerts_are_cut_to_what_telegram_shows():
    text = "Only members of " + "<Team & co> " * 30 + "can use this here."
    cut = alert_text(text)
    assert len(cut) == 200 and cut.endswith("…") and text.startswith(cut[:-1])
    assert alert_text("Only a manager of R&D can do that.") == "Only a manager of R&D can do that."
