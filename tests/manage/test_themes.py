"""Key themes a manager rates and writes: impact and effort a tap each, which reorders the
priorities for everyone (the group too); a theme in the manager's own words, escaped, with a
clear no when too long; and nobody else may do either, forged buttons included."""

from __future__ import annotations

from bot.core.callbacks import theme_add_data, theme_rate_data
from bot.domain.actions import HIGH, LOW
from storage.models import AssessmentRound, KeyTheme
from tests.support.botrunner import running_bot
from tests.support.flows import start_team
from tests.support.groups import alert_for, alerts_of, join, linked_group, stored

PRIORITIES = ("Write the steps down", "Train new staff", "Call customers back")


async def seed_themes(db, round_id: int, team_id: int) -> None:
    async with db.sessions() as session:
        for rank, text in enumerate(PRIORITIES, start=1):
            session.add(
                KeyTheme(
                    team_id=team_id, round_id=round_id, ofi_key=f"k{rank}", text=text, rank=rank
                )
            )
        session.add(
            KeyTheme(
                team_id=team_id, round_id=round_id, ofi_key="s1", text="We listen", kind="strength"
            )
        )
        await session.commit()


async def test_managers_rate_and_write_themes_and_everyone_sees_the_order(fake, db):
    async with running_bot(fake, db.url):
        maria, token = await start_team(fake)
        sam, _first = await join(fake, "Sam", token)
        group = await linked_group(fake, maria)
        (round_id, team_id) = await team_of(db)
        await seed_themes(db, round_id, team_id)

        await maria.command("/themes")
        themes = await maria.wait_for_message(contains="Key themes")
        assert themes.text.index("1. Write the steps down") < themes.text.index(
            "3. Call customers back"
        )
        # The third priority: high impact, low effort. It goes first.
        await maria.press(themes, "⚖️ Rate 3")
        await maria.wait_for_edit(themes)
        assert "Call customers back" in themes.text
        await maria.press(themes, "Impact high")
        await maria.wait_for_edit(themes)
        assert "✓ Impact high" in themes.button_texts
        await maria.press(themes, "Effort low")
        await maria.wait_for_edit(themes)
        assert "✓ Effort low" in themes.button_texts
        assert "impact high · effort low" in themes.text
        await maria.press(themes, "⬅️ Back to the list")
        await maria.wait_for_edit(themes)
        assert "1. Call customers back · impact high · effort low" in themes.text
        assert "2. Write the steps down\n3. Train new staff" in themes.text
        (rated,) = await stored(db, KeyTheme, KeyTheme.text == "Call customers back")
        assert (rated.impact, rated.effort) == (HIGH, LOW)

        # The group sees the same order and ratings, without buttons.
        await sam.command("/themes", chat=group)
        shared = await group.wait_for_message(contains="Key themes")
        assert "1. Call customers back · impact high · effort low" in shared.text
        assert not shared.buttons

        # A theme in the manager's own words: too long is refused, nothing kept.
        await maria.press(themes, "✍️ Add a theme")
        await maria.wait_for_message(contains="Type the key theme in your own words")
        await maria.send("x" * 301)
        await maria.wait_for_message(contains="301 characters long; the limit is 300")
        assert len(await stored(db, KeyTheme)) == 4
        await maria.send("Just an answer")  # the wait is gone: nothing taken as a theme
        assert len(await stored(db, KeyTheme)) == 4
        await maria.press(themes, "✍️ Add a theme")
        await maria.wait_for_message(contains="Type the key theme in your own words")
        await maria.send("<b>Hire</b> & train")
        await maria.wait_for_message(contains="Added to the key themes: <b>Hire</b> & train")
        listed = await maria.wait_for_message(contains="4. <b>Hire</b> & train")
        assert "Key themes" in listed.text
        (own,) = await stored(db, KeyTheme, KeyTheme.text == "<b>Hire</b> & train")
        assert (own.kind, own.area_id, own.rank) == ("priority", "", 4)


async def team_of(db):
    (round_,) = await stored(db, AssessmentRound)
    return round_.id, round_.team_id


async def test_members_and_other_teams_managers_cannot_rate_or_add(fake, db):
    async with running_bot(fake, db.url):
        _maria, token = await start_team(fake)
        sam, _first = await join(fake, "Sam", token)
        round_id, team_id = await team_of(db)
        await seed_themes(db, round_id, team_id)
        (theme, *_rest) = await stored(db, KeyTheme, KeyTheme.ofi_key == "k1")
        zoe, _token = await start_team(fake, "Zoe")
        for person in (sam, zoe):
            await person.command("/themes")
            view = await person.wait_for_message(contains="Key themes")
            for data in (
                theme_rate_data("i", theme.id, HIGH),
                theme_rate_data("e", theme.id, LOW),
                theme_rate_data("r", theme.id),
                theme_add_data(round_id),
            ):
                before = alerts_of(person)
                await person.press_data(view, data)
                assert "managers" in await alert_for(fake, person, before)
        await sam.send("A theme of my own")
    (after,) = await stored(db, KeyTheme, KeyTheme.id == theme.id)
    assert (after.impact, after.effort) == (None, None)
    assert len(await stored(db, KeyTheme)) == 4
