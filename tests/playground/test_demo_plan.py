"""The playground's demo team has an improvement plan: a rated priority and a done, an open and
an overdue action, seeded through the services as the bot would have recorded them."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.actions import HIGH, MEDIUM, is_overdue
from bot.playground.demo import seed_demo
from bot.playground.world import PlaygroundBotApi, World
from criteria.loader import DEFAULT_PACK_ID, load_packs
from storage.models import Action, KeyTheme
from storage.statuses import ActionStatus
from tests.support.groups import stored

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


async def test_the_demo_team_has_a_plan_with_done_open_and_overdue_actions(db, tmp_path):
    world = World(PlaygroundBotApi(), tmp_path / "world.json")
    async with db.sessions() as session:
        await seed_demo(session, world, load_packs().get(DEFAULT_PACK_ID), "UTC", NOW)
        await session.commit()
    (theme,) = await stored(db, KeyTheme)
    assert theme.kind == "priority" and theme.area_id == "product-offering"
    assert (theme.impact, theme.effort) == (HIGH, MEDIUM)
    plan = await stored(db, Action)
    assert all(a.owner_id is not None and a.theme_id == theme.id for a in plan)
    today = NOW.date()
    assert sorted(a.status for a in plan) == sorted(
        [ActionStatus.DONE, ActionStatus.STARTED, ActionStatus.OPEN]
    )
    assert [a.status for a in plan if is_overdue(a.status, a.due_date, today)] == ["open"]
    assert any(a.status == "started" and not is_overdue(a.status, a.due_date, today) for a in plan)
