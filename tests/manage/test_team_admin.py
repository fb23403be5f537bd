"""Managers run their team end to end: /team, removing people, making managers, /invite options,
/teams; and every one of those refused to whoever may not do it."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.core.callbacks import team_data
from storage.models import Invite, Membership, Person, Team, TeamRemoval
from storage.types import utcnow
from tests.support.flows import (
    INVITE_LINK,
    QUESTIONS,
    answer_current,
    join,
    start_team,
    stored_answers,
)


async def ids(db, *people) -> list[int]:
    """Database person ids of simulated people, in order."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(Person.telegram_user_id, Person.id).where(
                Person.telegram_user_id.in_([p.user_id for p in people])
            )
        )
        by_user = dict(rows.all())
    return [by_user[p.user_id] for p in people]


async def team_id_of(db, name: str = "Front desk <North> & Co") -> int:
    async with db.sessions() as session:
        return (await session.execute(select(Team.id).where(Team.name == name))).scalar_one()


async def roles(db, team_id: int) -> dict[int, str]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(Membership.person_id, Membership.role).where(Membership.team_id == team_id)
        )
        return dict(rows.all())


def alerts_for(person) -> list[str]:
    return [answer.text or "" for answer in person.callback_answers if answer.show_alert]


async def wait_for_alerts(fake, person, count: int) -> list[str]:
    """The person's alerts once there are `count` of them (buttons are answered in order)."""
    return await fake.wait_until(lambda: len(alerts_for(person)) >= count and alerts_for(person))


async def test_team_shows_members_progress_roles_and_who_is_unreachable(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await answer_current(sam, "We listen", rating=1)
    await answer_current(sam, "We write it down", rating=1)
    ana, _ = await join(fake, "Ana", token)
    async with db.sessions() as session:
        row = (
            await session.execute(select(Person).where(Person.telegram_user_id == ana.user_id))
        ).scalar_one()
        row.unreachable_since = utcnow() - timedelta(days=2)
        await session.commit()

    await maria.command("/team")
    roster = await maria.wait_for_message(contains="members")
    assert "Front desk <North> & Co" in roster.text
    assert "3 members" in roster.text
    lines = roster.text.split("\n")
    assert any("Maria" in line and "manager" in line for line in lines)
    assert f"2/{len(QUESTIONS)}" in roster.text
    assert "📵 unreachable since" in roster.text
    assert "Left:" in roster.text
    # Buttons for the others, never for the manager themself.
    assert any(text.startswith("🗑") and "Sam" in text for text in roster.button_texts)
    assert any(text.startswith("🗑") and "Ana" in text for text in roster.button_texts)
    assert not any("Maria" in text for text in roster.button_texts)
    assert all(len(data.encode()) < 64 for row in roster.buttons for _text, data in row if data)


async def test_a_big_team_is_split_within_telegram_limits(fake, bot, db):
    maria, _token = await start_team(fake)
    team_id = await team_id_of(db)
    async with db.sessions() as session:
        for number in range(120):
            person = Person(telegram_user_id=2_000_000 + number, first_name=f"Member {number:03}")
            session.add(person)
            await session.flush()
            session.add(Membership(team_id=team_id, person_id=person.id))
        await session.commit()
    await maria.command("/team")
    first = await maria.wait_for_message(contains="121 members")
    await fake.wait_idle()
    roster = [m for m in maria.messages if m.seq >= first.seq]
    assert len(roster) >= 2
    assert all(len(m.text) <= 4096 for m in roster)
    assert "\n\n1. Maria · ⭐ manager" in roster[0].text  # managers first
    assert all(f"Member {n:03}" in "".join(m.text for m in roster) for n in range(120))
    assert roster[-1].buttons and not roster[0].buttons


async def test_removing_a_member_asks_first_and_they_lose_access_at_once(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await answer_current(sam, "Kept in the record")
    team_id = await team_id_of(db)
    (sam_id,) = await ids(db, sam)

    await maria.command("/team")
    roster = await maria.wait_for_message(contains="members")
    remove = next(text for text in roster.button_texts if text.startswith("🗑"))
    await maria.press(roster, remove)
    confirm = await maria.wait_for_message(contains="Remove")
    assert sam_id in await roles(db, team_id)  # nothing happens before the confirmation
    await maria.press(confirm, "Cancel")
    await maria.wait_for_edit(confirm)
    assert sam_id in await roles(db, team_id)

    await maria.press(roster, remove)
    confirm = await maria.wait_for_message(contains="Remove")
    await maria.press(confirm, "🗑 Yes, remove")
    await maria.wait_for_edit(confirm)
    assert "was removed" in confirm.text
    assert sam_id not in await roles(db, team_id)

    # Sam's next message and button are refused with the team's name; nothing is saved.
    await sam.send("An answer after removal")
    notice = await sam.wait_for_message(contains="You are no longer in")
    assert "Front desk <North> & Co" in notice.text
    await sam.command("/next")
    await sam.wait_for_message(contains="not in a team")
    async with db.sessions() as session:
        assert (await session.get(Person, sam_id)).active_team_id is None
    kept = await stored_answers(db, sam.user_id)
    assert kept[QUESTIONS[0].id].text == "Kept in the record"
    assert QUESTIONS[1].id not in kept
    # A stale remove button (Sam is already gone) changes nothing.
    await maria.press_data(confirm, team_data("rmy", team_id, sam_id))
    assert any("no longer in the team" in text for text in await wait_for_alerts(fake, maria, 1))


async def test_removed_persons_button_is_refused(fake, bot, db):
    maria, token = await start_team(fake)
    sam, first = await join(fake, "Sam", token)
    team_id = await team_id_of(db)
    (maria_id, sam_id) = await ids(db, maria, sam)
    await maria.command("/team")
    roster = await maria.wait_for_message(contains="members")
    await maria.press_data(roster, team_data("rmy", team_id, sam_id))
    await maria.wait_for_edit(roster)
    assert "was removed" in roster.text
    await sam.press(first, "⏭ Skip")
    assert any("You are no longer in" in text for text in await wait_for_alerts(fake, sam, 1))
    assert await stored_answers(db, sam.user_id) == {}
    assert maria_id in await roles(db, team_id)


async def test_team_actions_are_refused_to_who_may_not(fake, bot, db):
    maria, token = await start_team(fake)
    sam, first = await join(fake, "Sam", token)
    bob, _ = await start_team(fake, "Bob")  # the manager of another team
    team_a = await team_id_of_manager(db, maria)
    (maria_id, sam_id, bob_id) = await ids(db, maria, sam, bob)

    # A member is not a manager: no roster, no removing, no promoting.
    await sam.command("/team")
    await sam.wait_for_message(contains="Only the team's managers")
    await sam.press_data(first, team_data("rm", team_a, maria_id))
    await sam.press_data(first, team_data("rmy", team_a, maria_id))
    await sam.press_data(first, team_data("mgr", team_a, sam_id))
    # The manager of team B presses team A's buttons (forged data).
    bob_message = bob.messages[-1]
    await bob.press_data(bob_message, team_data("rmy", team_a, sam_id))
    await bob.press_data(bob_message, team_data("mgr", team_a, sam_id))
    # The last manager cannot remove themself; malformed and unknown data are refused.
    maria_message = maria.messages[-1]
    await maria.press_data(maria_message, team_data("rmy", team_a, maria_id))
    await maria.press_data(maria_message, "tm:rm:1")
    await maria.press_data(maria_message, "tm:rm:99999999:1")
    await wait_for_alerts(fake, sam, 3)
    await wait_for_alerts(fake, bob, 2)
    await wait_for_alerts(fake, maria, 3)
    await fake.wait_idle()
    assert len(alerts_for(sam)) == 3
    assert all("Only the team's managers" in text for text in alerts_for(sam))
    assert len(alerts_for(bob)) == 2
    assert all("not in that team" in text for text in alerts_for(bob))
    assert any("needs a manager" in text for text in alerts_for(maria))
    assert len(alerts_for(maria)) == 3
    assert await roles(db, team_a) == {maria_id: "manager", sam_id: "member"}
    assert bob_id not in await roles(db, team_a)


async def team_id_of_manager(db, manager) -> int:
    async with db.sessions() as session:
        return (
            await session.execute(
                select(Membership.team_id)
                .join(Person, Person.id == Membership.person_id)
                .where(Person.telegram_user_id == manager.user_id)
            )
        ).scalar_one()


async def test_make_manager_then_the_former_last_manager_can_be_removed(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    team_id = await team_id_of(db)
    (maria_id, sam_id) = await ids(db, maria, sam)
    await maria.command("/team")
    roster = await maria.wait_for_message(contains="members")
    await maria.press(roster, "⭐ Make manager")
    await maria.wait_for_message(contains="is now a manager")
    assert await roles(db, team_id) == {maria_id: "manager", sam_id: "manager"}
    # Now Sam, a manager, may remove Maria: the team keeps a manager.
    await sam.command("/team")
    sam_roster = await sam.wait_for_message(contains="members")
    await sam.press(sam_roster, next(t for t in sam_roster.button_texts if "Maria" in t))
    confirm = await sam.wait_for_message(contains="Remove")
    await sam.press(confirm, "🗑 Yes, remove")
    await sam.wait_for_edit(confirm)
    assert await roles(db, team_id) == {sam_id: "manager"}


async def test_invite_options_role_expiry_and_uses(fake, bot, db):
    maria, _token = await start_team(fake)
    await maria.command("/invite", "manager 7d once")
    reply = await maria.wait_for_message(contains="New manager link")
    assert "valid 7 days" in reply.text and "one person" in reply.text
    assert any("Share" in text for text in reply.button_texts)
    token = INVITE_LINK.search(reply.text).group(2)
    async with db.sessions() as session:
        invite = (await session.execute(select(Invite).where(Invite.token == token))).scalar_one()
    assert invite.role == "manager" and invite.max_uses == 1
    assert timedelta(days=6, hours=23) < invite.expires_at - utcnow() <= timedelta(days=7)

    lee, _ = await join(fake, "Lee", token)
    team_id = await team_id_of(db)
    (lee_id,) = await ids(db, lee)
    assert (await roles(db, team_id))[lee_id] == "manager"
    late = fake.person("Late")
    await late.command("/start", token)
    await late.wait_for_message(contains="used up")

    await maria.command("/invite", "never")
    forever = await maria.wait_for_message(contains="New member link")
    assert "never expires" in forever.text
    async with db.sessions() as session:
        newest = (
            (await session.execute(select(Invite).order_by(Invite.id.desc()))).scalars().first()
        )
    assert newest.expires_at is None and newest.max_uses is None and newest.role == "member"

    await maria.command("/invite", "forever-and-ever")
    usage = await maria.wait_for_message(contains="I don't know")
    assert "/invite manager 7d once" in usage.text


async def test_a_member_cannot_invite_anyone(fake, bot, db):
    _maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await sam.command("/invite", "manager")
    await sam.wait_for_message(contains="Only a team's managers")
    async with db.sessions() as session:
        invites = (await session.execute(select(Invite))).scalars().all()
    assert len(invites) == 1  # only the one /newteam made


async def test_teams_chooses_which_team_to_answer_for(fake, bot, db):
    maria, _ = await start_team(fake)
    bob = fake.person("Bob")
    await bob.command("/newteam", "Back office baldrige-customer-management")
    created = await bob.wait_for_message(contains="is ready")
    back_office_token = INVITE_LINK.search(created.text).group(2)
    await maria.command("/start", back_office_token)
    await maria.wait_for_message(contains="Welcome to")
    await answer_current(maria, "Back office answer")

    await maria.command("/teams")
    listing = await maria.wait_for_message(contains="Your teams")
    assert "▶️ Back office" in listing.text
    assert "Front desk <North> & Co · manager" in listing.text
    await maria.press(listing, "Front desk <North> & Co")
    await maria.wait_for_message(contains="You answer for")
    await maria.wait_for_message(contains=QUESTIONS[0].text)
    front_desk = await team_id_of(db)
    async with db.sessions() as session:
        row = (
            await session.execute(select(Person).where(Person.telegram_user_id == maria.user_id))
        ).scalar_one()
    assert row.active_team_id == front_desk
    await answer_current(maria, "Front desk answer")
    await maria.command("/progress")
    progress = await maria.wait_for_message(contains="Your progress")
    assert "Front desk" in progress.text and f"1/{len(QUESTIONS)}" in progress.text

    # A team she is not in: refused, nothing changes.
    stranger_team = await _other_team(db)
    await maria.press_data(listing, team_data("use", stranger_team))
    assert any("not in that team" in text for text in await wait_for_alerts(fake, maria, 1))
    async with db.sessions() as session:
        row = await session.get(Person, row.id)
    assert row.active_team_id == front_desk


async def _other_team(db) -> int:
    async with db.sessions() as session:
        team = Team(name="Secret team", pack_id="x")
        session.add(team)
        await session.commit()
        return team.id


async def remove(db, manager, someone) -> None:
    """The manager removes `someone` with /team's confirmation button."""
    team_id = await team_id_of(db)
    (someone_id,) = await ids(db, someone)
    await manager.command("/team")
    roster = await manager.wait_for_message(contains="members")
    await manager.press_data(roster, team_data("rmy", team_id, someone_id))
    await manager.wait_for_edit(roster)
    assert "was removed" in roster.text


async def test_a_removed_person_needs_an_invite_made_after_the_removal(fake, bot, db):
    maria, token = await start_team(fake)
    await maria.command("/invite", "manager")
    manager_link = await maria.wait_for_message(contains="New manager link")
    manager_token = INVITE_LINK.search(manager_link.text).group(2)
    sam, _ = await join(fake, "Sam", token)
    team_id = await team_id_of(db)
    (maria_id, sam_id) = await ids(db, maria, sam)
    await remove(db, maria, sam)
    async with db.sessions() as session:
        (removal,) = (await session.execute(select(TeamRemoval))).scalars()
    assert (removal.team_id, removal.person_id, removal.removed_by) == (team_id, sam_id, maria_id)

    # The links Sam still has, even a manager link for many people, no longer let them in.
    for old in (token, manager_token):
        await sam.command("/start", old)
        refusal = await sam.wait_for_message(contains="You were removed from")
        assert "Front desk <North> & Co" in refusal.text
        assert "ask a manager for a new invite" in refusal.text
    assert sam_id not in await roles(db, team_id)
    # Someone else can still use them.
    await join(fake, "Lee", manager_token)

    # A link made after the removal brings Sam back, as what it says, and lifts the removal.
    await maria.command("/invite")
    fresh = INVITE_LINK.search((await maria.wait_for_message(contains="New member")).text)
    await sam.command("/start", fresh.group(2))
    await sam.wait_for_message(contains="Welcome to")
    assert (await roles(db, team_id))[sam_id] == "member"
    async with db.sessions() as session:
        assert not (await session.execute(select(TeamRemoval))).scalars().all()


async def test_invite_revoke_withdraws_every_open_link_of_the_team(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _ = await join(fake, "Sam", token)
    await maria.command("/invite", "manager 7d once")
    once = INVITE_LINK.search((await maria.wait_for_message(contains="New manager")).text)
    assert "/invite revoke" in maria.last_message.text

    await sam.command("/invite", "revoke")  # a member cannot
    await sam.wait_for_message(contains="Only a team's managers")
    await maria.command("/invite", "revoke")
    done = await maria.wait_for_message(contains="Withdrew 2 invite links")
    assert "Front desk <North> & Co" in done.text
    newcomer = fake.person("Newcomer")
    for withdrawn in (token, once.group(2)):
        await newcomer.command("/start", withdrawn)
        await newcomer.wait_for_message(contains="That invite link was withdrawn")
    await sam.command("/start", token)  # people already in the team stay
    await sam.wait_for_message(contains="already in")
    await maria.command("/invite", "revoke")
    await maria.wait_for_message(contains="has no open invite links")
    async with db.sessions() as session:
        invites = (await session.execute(select(Invite))).scalars().all()
    assert len(invites) == 2 and all(invite.revoked_at is not None for invite in invites)

    await maria.command("/invite")
    fresh = INVITE_LINK.search((await maria.wait_for_message(contains="New member")).text)
    await newcomer.command("/start", fresh.group(2))
    await newcomer.wait_for_message(contains="Welcome to")
    await maria.command("/help")
    assert "/invite revoke" in (await maria.wait_for_message(contains="How this works")).text
