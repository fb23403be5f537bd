"""Key themes and improvement actions: the rows behind /themes, /action and /actions.

Each function is a fixed number of statements whatever the team size. Every change to an action
writes an action_event (who, when, what), so its history survives reassignments and people
leaving. The rules (what is overdue, who is nudged) live in bot.domain.actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.domain.actions import PlanItem, PlanSummary, plan_summary
from bot.services.action_notes import cancel_waits
from storage.models import Action, ActionEvent, KeyTheme, Membership, Person, Team
from storage.statuses import OPEN_ACTION_STATUSES, ActionStatus
from storage.types import utcnow

PRIORITY, STRENGTH = "priority", "strength"
LIST_LIMIT = 50  # /actions lists at most this many; the rest are counted
PLAN_LIMIT = 500  # the digest reads at most this many of a team's actions


async def themes_of_round(session: AsyncSession, round_id: int) -> list[KeyTheme]:
    """The round's priorities then strengths, each in rank order (one statement)."""
    rows = await session.execute(
        select(KeyTheme)
        .where(KeyTheme.round_id == round_id)
        .order_by(KeyTheme.kind, KeyTheme.rank, KeyTheme.id)
    )
    return list(rows.scalars())


async def add_theme(
    session: AsyncSession,
    team_id: int,
    round_id: int,
    area_id: str,
    key: str,
    text: str,
    kind: str,
    created_by: int,
) -> KeyTheme:
    """The item as a theme of this kind, ranked last; the existing one when it already is."""
    existing = (
        await session.execute(
            select(KeyTheme).where(
                KeyTheme.round_id == round_id,
                KeyTheme.kind == kind,
                KeyTheme.area_id == area_id,
                KeyTheme.ofi_key == key,
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    last = (
        await session.execute(
            select(func.max(KeyTheme.rank)).where(
                KeyTheme.round_id == round_id, KeyTheme.kind == kind
            )
        )
    ).scalar_one()
    theme = KeyTheme(
        team_id=team_id,
        round_id=round_id,
        area_id=area_id,
        ofi_key=key,
        text=text,
        kind=kind,
        rank=(last or 0) + 1,
        created_by=created_by,
    )
    session.add(theme)
    await session.flush()
    return theme


async def theme_in_team(session: AsyncSession, theme_id: int, team_id: int) -> KeyTheme | None:
    """The theme, if it belongs to this team (a forged id of another team's gives None)."""
    return (
        await session.execute(
            select(KeyTheme).where(KeyTheme.id == theme_id, KeyTheme.team_id == team_id)
        )
    ).scalar_one_or_none()


async def rate_theme(session: AsyncSession, theme: KeyTheme, what: str, level: int | None) -> None:
    """Set a priority's impact ("i") or effort ("e"), low 1 to high 3; None clears it."""
    if what == "i":
        theme.impact = level
    else:
        theme.effort = level
    session.add(theme)
    await session.flush()


async def remove_theme(session: AsyncSession, theme: KeyTheme) -> None:
    """Actions serving it stay; they only lose the link (theme_id is set to null)."""
    await session.delete(theme)
    await session.flush()


async def create_action(
    session: AsyncSession,
    team_id: int,
    round_id: int,
    title: str,
    created_by: int,
    *,
    area_id: str = "",
    theme_id: int | None = None,
    due: date | None = None,
) -> Action:
    """A draft action: it opens once it has an owner and a due date."""
    action = Action(
        team_id=team_id,
        round_id=round_id,
        area_id=area_id,
        theme_id=theme_id,
        title=title,
        due_date=due,
        status=ActionStatus.DRAFT,
        created_by=created_by,
    )
    session.add(action)
    await session.flush()
    session.add(ActionEvent(action_id=action.id, person_id=created_by, kind="created"))
    await session.flush()
    return action


async def action_by_id(session: AsyncSession, action_id: int) -> Action | None:
    return await session.get(Action, action_id)


async def set_owner(session: AsyncSession, action: Action, owner_id: int, by: int) -> None:
    kind = "owner" if action.owner_id is None else "reassigned"
    action.owner_id = owner_id
    action.updated_at = utcnow()
    session.add(action)
    session.add(ActionEvent(action_id=action.id, person_id=by, kind=kind, note=str(owner_id)))
    await session.flush()


async def set_due(session: AsyncSession, action: Action, due: date, by: int) -> None:
    """The due date; a draft with an owner opens with it."""
    action.due_date = due
    if action.status == ActionStatus.DRAFT and action.owner_id is not None:
        action.status = ActionStatus.OPEN
    action.updated_at = utcnow()
    session.add(action)
    session.add(ActionEvent(action_id=action.id, person_id=by, kind="due", note=due.isoformat()))
    await session.flush()


async def set_status(
    session: AsyncSession,
    action: Action,
    status: ActionStatus,
    by: int,
    now: datetime,
    note: str | None = None,
) -> None:
    """`now` is the bot's clock: when an action was done decides the digest's "done since last
    week"."""
    action.status = status
    action.blocked_reason = note if status is ActionStatus.BLOCKED else None
    action.updated_at = now
    session.add(action)
    session.add(ActionEvent(action_id=action.id, person_id=by, kind=str(status), note=note, at=now))
    if status in (ActionStatus.DONE, ActionStatus.DROPPED):
        await cancel_waits(session, action.id)
    await session.flush()


@dataclass(frozen=True)
class ActionLine:
    """An action with its owner's name (None: it needs an owner)."""

    action: Action
    owner_name: str | None


def _owner_name(person: Person | None) -> str | None:
    if person is None:
        return None
    return person.first_name or (f"@{person.username}" if person.username else f"#{person.id}")


async def team_actions(
    session: AsyncSession, team_id: int, statuses: frozenset[str], due_before: date | None = None
) -> tuple[list[ActionLine], int]:
    """The team's actions in these statuses (due before a date, when given), soonest due first,
    at most LIST_LIMIT, and how many there are in all (two statements)."""
    conditions = [Action.team_id == team_id, Action.status.in_(statuses)]
    if due_before is not None:
        conditions.append(Action.due_date < due_before)
    total = (await session.execute(select(func.count(Action.id)).where(*conditions))).scalar_one()
    rows = await session.execute(
        select(Action, Person)
        .outerjoin(Person, Person.id == Action.owner_id)
        .where(*conditions)
        .order_by(Action.due_date.is_(None), Action.due_date, Action.id)
        .limit(LIST_LIMIT)
    )
    return [ActionLine(action, _owner_name(owner)) for action, owner in rows.all()], total


async def actions_of_owner(session: AsyncSession, team_id: int, owner_id: int) -> list[Action]:
    """The person's actions in the team still to do, soonest due first (one statement)."""
    rows = await session.execute(
        select(Action)
        .where(
            Action.team_id == team_id,
            Action.owner_id == owner_id,
            Action.status.in_(OPEN_ACTION_STATUSES),
        )
        .order_by(Action.due_date.is_(None), Action.due_date, Action.id)
        .limit(LIST_LIMIT)
    )
    return list(rows.scalars())


async def release_actions(
    session: AsyncSession, team_id: int, owner_id: int, by: int | None
) -> int:
    """The person left the team: their unfinished actions go back to the managers with no owner
    ("needs an owner"); history and everything else stay (three statements)."""
    unfinished = OPEN_ACTION_STATUSES | {ActionStatus.DRAFT}
    ids = list(
        (
            await session.execute(
                select(Action.id).where(
                    Action.team_id == team_id,
                    Action.owner_id == owner_id,
                    Action.status.in_(unfinished),
                )
            )
        ).scalars()
    )
    if not ids:
        return 0
    now = utcnow()
    await session.execute(
        update(Action).where(Action.id.in_(ids)).values(owner_id=None, updated_at=now)
    )
    await session.execute(
        insert(ActionEvent),
        [
            {"action_id": i, "person_id": by, "kind": "released", "note": str(owner_id), "at": now}
            for i in ids
        ],
    )
    return len(ids)


async def plan_of_team(session: AsyncSession, team_id: int, today: date, zone: str) -> PlanSummary:
    """The digest's actions section as of the team's `today` (one statement): the open ones,
    and those done in the last week."""
    tz = ZoneInfo(zone)
    # A little wider than a week: the domain cuts by the team's dates.
    recent = datetime.combine(today - timedelta(days=8), time(0, 0), tzinfo=tz)
    rows = await session.execute(
        select(Action, Person)
        .outerjoin(Person, Person.id == Action.owner_id)
        .where(
            Action.team_id == team_id,
            Action.status.in_(OPEN_ACTION_STATUSES)
            | ((Action.status == ActionStatus.DONE) & (Action.updated_at >= recent)),
        )
        .limit(PLAN_LIMIT)
    )
    items = [
        PlanItem(
            action.title,
            _owner_name(owner),
            action.status,
            action.due_date,
            action.updated_at.astimezone(tz).date() if action.status == ActionStatus.DONE else None,
        )
        for action, owner in rows.all()
    ]
    return plan_summary(items, today)


async def owned_open_actions(session: AsyncSession, team_id: int) -> list[tuple[Action, Person]]:
    """The team's open actions whose owner is still in the team, with the owner, soonest due
    first (one statement, on the team-and-status index)."""
    rows = await session.execute(
        select(Action, Person)
        .join(Person, Person.id == Action.owner_id)
        .join(Membership, (Membership.person_id == Person.id) & (Membership.team_id == team_id))
        .where(Action.team_id == team_id, Action.status.in_(OPEN_ACTION_STATUSES))
        .order_by(Person.id, Action.due_date.is_(None), Action.due_date, Action.id)
        .limit(PLAN_LIMIT)
    )
    return [(action, person) for action, person in rows.all()]


async def plan_data(session: AsyncSession, person_id: int) -> dict[str, list[dict]]:
    """For /mydata: the actions the person owns or created, what they changed on any action,
    and the key themes they chose (three statements)."""
    owned_or_created = await session.execute(
        select(Action, Team.name)
        .join(Team, Team.id == Action.team_id)
        .where((Action.owner_id == person_id) | (Action.created_by == person_id))
        .order_by(Action.id)
    )
    events = await session.execute(
        select(ActionEvent).where(ActionEvent.person_id == person_id).order_by(ActionEvent.id)
    )
    themes = await session.execute(
        select(KeyTheme, Team.name)
        .join(Team, Team.id == KeyTheme.team_id)
        .where(KeyTheme.created_by == person_id)
        .order_by(KeyTheme.id)
    )
    return {
        "improvement_actions": [
            {"team": team, **action.model_dump(mode="json")}
            for action, team in owned_or_created.all()
        ],
        "action_changes": [event.model_dump(mode="json") for event in events.scalars()],
        "key_themes_chosen": [
            {"team": team, **theme.model_dump(mode="json")} for theme, team in themes.all()
        ],
    }


async def open_actions_of_round(session: AsyncSession, round_id: int) -> list[ActionLine]:
    """The round's unfinished actions with their owners, for a new round's walk-through (one
    statement)."""
    rows = await session.execute(
        select(Action, Person)
        .outerjoin(Person, Person.id == Action.owner_id)
        .where(Action.round_id == round_id, Action.status.in_(OPEN_ACTION_STATUSES))
        .order_by(Action.due_date.is_(None), Action.due_date, Action.id)
        .limit(LIST_LIMIT)
    )
    return [ActionLine(action, _owner_name(owner)) for action, owner in rows.all()]


async def carry_into_round(
    session: AsyncSession, action: Action, round_id: int, by: int, now: datetime
) -> None:
    """Keep an unfinished action: it belongs to the new round from now on."""
    previous = action.round_id
    action.round_id = round_id
    action.updated_at = now
    session.add(action)
    session.add(
        ActionEvent(action_id=action.id, person_id=by, kind="carried", note=str(previous), at=now)
    )
    await session.flush()
