"""Improvement plans end to end: the consensus's OFIs become priorities, priorities become actions
with owners and due dates, owners update them with one tap, one becomes overdue, an owner leaves
and their actions go back to the managers; and nobody but a manager creates, reassigns or drops
one, or touches another team's (forged buttons too).

Driven through the fake Bot API on SQLite and PostgreSQL, with the bot's clock set by the test.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from bot.core.callbacks import ActionStep, action_data, theme_pick_data
from bot.export.bundle import build_exports
from bot.export.data import gather_round_report
from bot.export.markdown import build_markdown
from bot.export.pdf import build_pdf
from bot.export.xlsx import build_xlsx
from bot.services import actions as plan_actions
from criteria.model import MATURITY_LEVELS
from storage.models import Action, ActionEvent, ConsensusVote, KeyTheme
from storage.statuses import ActionStatus
from tests.support.botrunner import running_bot
from tests.support.flows import PACK, start_team
from tests.support.groups import (
    alert_for,
    alerts_of,
    join,
    linked_group,
    person_id,
    remove_from_team,
    stored,
    stored_when,
)
from tests.support.schedules import Clock, seed_team

WEDNESDAY = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


async def record_findings(fake, db, manager, group) -> None:
    """The group agrees on area 1 and notes a strength and two improvements."""
    await manager.command("/consensus", "1", chat=group)
    poll = await group.wait_for_message(predicate=lambda m: m.poll is not None)
    await manager.answer_poll(poll, [2])
    await stored_when(db, lambda rows: len(rows) == 1, ConsensusVote)
    await manager.press(poll, "🛑 Close the vote")
    strengths = await group.wait_for_message(contains="strengths")
    improvements = await group.wait_for_message(contains="opportunities for improvement")
    await manager.send("We listen <well>", chat=group, reply_to=strengths)
    await group.wait_for_message(contains="Noted as a strength")
    await manager.send(
        "- Write the steps down\n- Train new staff & temps", chat=group, reply_to=improvements
    )
    await group.wait_for_message(contains="Noted as an opportunity")


async def test_findings_become_priorities_actions_owners_and_follow_up(fake, db):
    clock = Clock(WEDNESDAY)
    async with running_bot(fake, db.url, clock=clock):
        maria, token = await start_team(fake)
        sam, _first = await join(fake, "Sam", token)
        ana, _first = await join(fake, "Ana", token)
        group = await linked_group(fake, maria)
        await record_findings(fake, db, maria, group)

        # Managers pick priorities among the OFIs.
        await maria.command("/themes")
        findings = await maria.wait_for_message(contains="Findings of the consensus")
        assert "Train new staff &amp; temps" not in findings.text  # plain text as people see it
        assert "Train new staff & temps" in findings.text
        assert "We listen <well>" in findings.text
        await maria.wait_for_message(contains="No key themes chosen yet")
        await maria.press(findings, "⭐ 1.1 Write the steps down")
        themes = await maria.wait_for_message(contains="Key themes")
        assert "1. Write the steps down" in themes.text
        await maria.press(findings, "⭐ 1.2 Train new staff & temps")
        themes = await maria.wait_for_message(contains="Key themes")
        assert "2. Train new staff & temps" in themes.text
        assert not any(text.startswith("⭐") for text in findings.button_texts)
        assert all(len(d.encode()) <= 64 for row in themes.buttons for _t, d in row if d)

        await maria.command("/themes", chat=group)
        shared = await group.wait_for_message(contains="Key themes")
        assert "1. Write the steps down" in shared.text and not shared.buttons

        # Action 1 from a priority: owner and due date by buttons; Sam is told at once.
        await maria.press(themes, "➕ Action for 1")
        ask = await maria.wait_for_message(contains="Who owns this action?")
        await maria.press(ask, "Sam")
        await maria.wait_for_edit(ask)
        assert "When is it due?" in ask.text
        await maria.press(ask, "In a week")
        await maria.wait_for_edit(ask)
        assert "Action saved" in ask.text and "Due: 2027-03-17" in ask.text
        notice = await sam.wait_for_message(contains="gave you an improvement action")
        assert "Write the steps down" in notice.text and "Due: 2027-03-17" in notice.text
        assert notice.button_texts == ["▶️ Started", "✅ Done", "⛔ Blocked", "📝 Progress note"]

        # Action 2 with /action and a date typed as English speakers write it.
        await maria.command("/action", "4/30/2027 Review the <checklist>")
        ask = await maria.wait_for_message(contains="Who owns this action?")
        assert "Review the <checklist>" in ask.text
        await maria.press(ask, "Sam")
        await maria.wait_for_edit(ask)
        assert "Action saved" in ask.text and "Due: 2027-04-30" in ask.text
        second = await sam.wait_for_message(contains="Review the <checklist>")

        # The owner marks the first started from the notice, in one tap.
        await sam.press(notice, "▶️ Started")
        await sam.wait_for_edit(notice)
        assert "▶️ started" in notice.text and "▶️ Started" not in notice.button_texts
        (first_row,) = await stored(db, Action, Action.due_date == datetime(2027, 3, 17).date())
        assert first_row.status == ActionStatus.STARTED

        # A week later the first is overdue: the owner's card and the managers' filter say so.
        clock.now = WEDNESDAY + timedelta(days=8)
        await sam.command("/actions")
        card = await sam.wait_for_message(contains="Write the steps down")
        assert "Due: 2027-03-17 — overdue" in card.text
        await sam.wait_for_message(contains="Review the <checklist>")
        await maria.command("/actions")
        await maria.wait_for_message(contains="You own no open improvement actions")
        listing = await maria.wait_for_message(contains="Actions of")
        assert "Write the steps down" in listing.text and "Review the" in listing.text
        await maria.press(listing, "Overdue")
        await maria.wait_for_edit(listing)
        assert "Write the steps down" in listing.text and "⏰" in listing.text
        assert "Review the" not in listing.text

        # The second is done; then Sam leaves and the first goes back to the managers.
        await sam.press(second, "✅ Done")
        await sam.wait_for_edit(second)
        assert "✅ done" in second.text and not second.buttons
        # The managers' digest gains the actions section.
        await maria.command("/digest")
        digest = await maria.wait_for_message(contains="Improvement actions")
        assert (
            "✅ Done since last week (1)\n• Review the <checklist> — Sam · 2027-04-30"
            in digest.text
        )
        assert "⏰ Overdue (1)\n• Write the steps down — Sam · 2027-03-17" in digest.text
        assert "Blocked" not in digest.text

        await remove_from_team(fake, db, maria, sam)
        await maria.command("/actions")
        listing = await maria.wait_for_message(contains="Actions of")
        assert "⚠️ needs an owner" in listing.text and "Write the steps down" in listing.text
        rows = {row.title: row for row in await stored(db, Action)}
        assert rows["Write the steps down"].owner_id is None
        assert rows["Write the steps down"].status == ActionStatus.STARTED  # nothing else lost
        assert rows["Review the <checklist>"].status == ActionStatus.DONE
        history = [
            e.kind for e in await stored(db, ActionEvent, ActionEvent.action_id == first_row.id)
        ]
        assert history == ["created", "owner", "due", "started", "released"]

        # A manager gives it to Ana.
        await maria.command("/actions")
        await maria.wait_for_message(contains="Actions of")
        await ana.command("/actions")
        await ana.wait_for_message(contains="You own no open improvement actions")
        reassign = await maria_card(maria, rows["Write the steps down"].id)
        await maria.press(reassign, "Ana")
        await maria.wait_for_edit(reassign)
        assert "Owner: Ana" in reassign.text
        await ana.wait_for_message(contains="gave you an improvement action")

        # The exports carry the plan: key themes first, the actions per area, the plan as a table.
        (first_row,) = await stored(db, Action, Action.id == first_row.id)
        async with db.sessions() as session:
            report = await gather_round_report(session, PACK, first_row.team_id, first_row.round_id)
        markdown = build_markdown(report)
        assert markdown.index("## Key themes") < markdown.index("## Action plan")
        assert "1\\. Write the steps down (Product offering)" in markdown
        assert (
            "| Write the steps down | Product offering | Ana | 2027-03-17 | started |" in markdown
        )
        assert "| Review the \\<checklist\\> |  | Sam | 2027-04-30 | done |" in markdown
        files = {f.filename.rsplit("-", 1)[-1]: f for f in build_exports(report)}
        plan_rows = list(csv.reader(io.StringIO(files["actions.csv"].content.decode("utf-8-sig"))))
        assert plan_rows[0] == ["Action", "Area", "Owner", "Due", "Status"]
        assert [row[0] for row in plan_rows[1:]] == [
            "Write the steps down",
            "Review the <checklist>",
        ]
        sheet = load_workbook(io.BytesIO(build_xlsx(report)))["Action plan"]
        assert sheet["A2"].value == "Write the steps down" and sheet["C2"].value == "Ana"
        assert build_pdf(report).startswith(b"%PDF")

        # A new round walks the manager through the open actions: one kept, one done.
        await maria.command("/action", "5/31/2027 Update the checklist")
        ask = await maria.wait_for_message(contains="Who owns this action?")
        await maria.press(ask, "Ana")
        await maria.wait_for_edit(ask)
        await ana.wait_for_message(contains="Update the checklist")
        await maria.command("/round", "new Spring")
        await maria.wait_for_message(contains="is open for")
        await maria.wait_for_message(contains="2 improvement actions are still open")
        keep = await maria.wait_for_message(contains="Write the steps down")
        close = await maria.wait_for_message(contains="Update the checklist")
        assert keep.button_texts == ["➡️ Keep", "✅ Done", "✖️ Drop"]
        await maria.press(keep, "➡️ Keep")
        await maria.wait_for_edit(keep)
        await maria.press(close, "✅ Done")
        await maria.wait_for_edit(close)
        assert "✅ done" in close.text
        rows = {row.title: row for row in await stored(db, Action)}
        assert rows["Write the steps down"].round_id != rows["Update the checklist"].round_id
        assert rows["Write the steps down"].status == ActionStatus.STARTED
        assert rows["Update the checklist"].status == ActionStatus.DONE
        await maria.command("/actions")
        listing = await maria.wait_for_message(contains="Actions of")
        assert "Write the steps down" in listing.text and "Update the checklist" not in listing.text

    # The new round's report: what was done since the previous one, next to how results moved.
    async with db.sessions() as session:
        report = await gather_round_report(
            session,
            PACK,
            rows["Write the steps down"].team_id,
            rows["Write the steps down"].round_id,
        )
    markdown = build_markdown(report)
    assert "## Since Round 1" in markdown
    assert f"| {PACK.areas()[0].title} | {MATURITY_LEVELS[2].label} | — |" in markdown
    assert (
        "Update the checklist — Ana" in markdown and "Review the \\<checklist\\> — Sam" in markdown
    )
    assert "| Write the steps down | Product offering | Ana | 2027-03-17 | started |" in markdown


async def maria_card(maria, action_id: int):
    """The owner buttons for an action, as a manager's 👤 Reassign shows them."""
    listing = maria.last_message
    await maria.press_data(listing, action_data(ActionStep.REASSIGN, action_id))
    await maria.wait_for_edit(listing)
    assert "Who owns this action?" in listing.text
    return listing


async def test_members_and_other_teams_cannot_create_reassign_or_drop(fake, bot, db):
    maria, token = await start_team(fake)
    sam, _first = await join(fake, "Sam", token)
    group = await linked_group(fake, maria)
    await record_findings(fake, db, maria, group)
    await maria.command("/action", "Write it down")
    ask = await maria.wait_for_message(contains="Who owns this action?")
    await maria.press(ask, "Sam")
    await maria.wait_for_edit(ask)
    await maria.press(ask, "In two weeks")
    await sam.wait_for_message(contains="gave you an improvement action")
    (action,) = await stored(db, Action)

    # A member: no /action, no picking themes, no reassigning or dropping, even forged.
    await sam.command("/action", "Something")
    await sam.wait_for_message(contains="Only the team's managers")
    await sam.command("/themes")
    themes = await sam.wait_for_message(contains="Key themes")
    assert not themes.buttons
    for data in (
        action_data(ActionStep.DROP, action.id),
        action_data(ActionStep.REASSIGN, action.id),
        action_data(ActionStep.OWNER, action.id, await person_id(db, sam)),
        theme_pick_data("p", action.round_id, 0, "0" * 8),
    ):
        before = alerts_of(sam)
        await sam.press_data(themes, data)
        assert "managers" in await alert_for(fake, sam, before)

    # Another team's manager: nothing of this team's, whatever the button says.
    zoe, _token = await start_team(fake, "Zoe")
    await zoe.command("/actions")
    mine = await zoe.wait_for_message(contains="Actions of")
    assert "Write it down" not in mine.text
    for data in (
        action_data(ActionStep.DROP, action.id),
        action_data(ActionStep.DONE, action.id),
        action_data(ActionStep.OWNER, action.id, await person_id(db, zoe)),
    ):
        before = alerts_of(zoe)
        await zoe.press_data(mine, data)
        assert "not in that team" in await alert_for(fake, zoe, before)
    before = alerts_of(zoe)
    await zoe.press_data(mine, action_data(ActionStep.DONE, 999_999))
    assert "no longer exists" in await alert_for(fake, zoe, before)
    (after,) = await stored(db, Action)
    assert (after.status, after.owner_id) == (ActionStatus.OPEN, action.owner_id)
    assert not await stored(db, KeyTheme)


async def test_plan_reads_cost_the_same_for_3_and_30_owners(fake, db):
    costs = []
    for size in (3, 30):
        seeded = await seed_team(
            db, fake, manager=f"M{size}", members=tuple(f"P{size}-{n}" for n in range(size))
        )
        async with db.sessions() as session:
            for name, pid in seeded.person_ids.items():
                session.add(
                    Action(
                        team_id=seeded.team_id,
                        round_id=seeded.round_id,
                        title=f"Action of {name}",
                        owner_id=pid,
                        status=ActionStatus.OPEN,
                        due_date=WEDNESDAY.date(),
                    )
                )
            await session.commit()
        async with db.sessions() as session:
            with db.statements.measure() as cost:
                await plan_actions.plan_of_team(session, seeded.team_id, WEDNESDAY.date(), "UTC")
                await plan_actions.team_actions(
                    session, seeded.team_id, frozenset({ActionStatus.OPEN})
                )
                await plan_actions.owned_open_actions(session, seeded.team_id)
                await plan_actions.open_actions_of_round(session, seeded.round_id)
                released = await plan_actions.release_actions(
                    session, seeded.team_id, seeded.person_ids[f"P{size}-0"], None
                )
            costs.append(cost.count)
            assert released == 1
    # plan, list (count and page), owners' actions, the round's open ones, release (3)
    assert costs == [8, 8]
