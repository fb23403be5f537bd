"""One group update's view: who acts, which team the group is linked to, and may they.

Every group command and button goes through `open_group_turn` and `refusal`, so the same rules
hold everywhere: an unlinked group shows nothing, a non-member is refused, and manager-only
actions refuse members. The link is read from the database on every update (never from the
button), so a group linked to one team never shows another team's data.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Update, User

from bot.core import i18n
from bot.core.commands import Need
from bot.core.i18n import N_, _
from bot.core.render import esc, preview
from bot.core.runtime import Runtime
from bot.core.turns import as_telegram_user
from bot.services.groups import link_of_chat
from bot.services.membership import role_in_team
from bot.services.packs import pack_of
from bot.services.people import ensure_person
from bot.services.teams import removal_of
from criteria.model import Pack
from storage.models import AssessmentRound, GroupLink, Person, Role, Team
from storage.queries import current_round

# Marked only: refusal() translates them into the group's language.
NOT_LINKED = N_("This group is not linked to a team yet. A team manager can link it with /link.")
NOT_MEMBER = N_("Only members of {team} can use this here. Send /join to join the team.")
REMOVED = N_("A manager removed you from {team}, so you cannot use this here any more.")
NOT_MANAGER = N_("Only a manager of {team} can do that.")
NO_ROUND = N_("{team} has no open assessment round right now.")
ALERT_LIMIT = 200  # characters Telegram shows in a button's alert (answerCallbackQuery text)


@dataclass
class GroupTurn:
    session: AsyncSession
    person: Person
    chat_id: int
    link: GroupLink | None
    team: Team | None
    role: str | None  # the person's role in the linked team; None when not a member
    round: AssessmentRound | None
    pack: Pack | None
    now: datetime  # the moment the turn opened, by the bot's clock (bot/core/clock.py)
    removed: bool = False  # not a member because a manager removed them

    def refusal(self, need: Need = Need.MEMBER, needs_round: bool = False) -> str | None:
        """Why this person may not do this here (plain text), or None when they may."""
        if self.link is None or self.team is None:
            return _(NOT_LINKED)
        if self.role is None:
            return _(REMOVED if self.removed else NOT_MEMBER).format(team=self.team.name)
        if need is Need.MANAGER and self.role != Role.MANAGER:
            return _(NOT_MANAGER).format(team=self.team.name)
        if needs_round and self.round is None:
            return _(NO_ROUND).format(team=self.team.name)
        return None


@asynccontextmanager
async def open_group_turn(rt: Runtime, user: User, chat_id: int):
    """A session with the person and the group's team loaded; commits on success."""
    async with rt.sessions() as session:
        person = await ensure_person(session, as_telegram_user(user))
        await session.flush()
        link = await link_of_chat(session, chat_id)
        team = role = round_ = pack = None
        removed = False
        if link is not None:
            team = await session.get(Team, link.team_id)
            role = await role_in_team(session, link.team_id, person.id)
            if role is None:
                removed = await removal_of(session, link.team_id, person.id) is not None
            round_ = await current_round(session, link.team_id)
        # The whole team reads the group, so it speaks the team's default language (or English).
        language = i18n.supported_language(team.language if team else None)
        i18n.set_language(language)
        if round_ is not None:
            pack = await pack_of(session, rt.packs, round_.pack_id)
            pack = pack.translated(language or i18n.SOURCE_LANGUAGE)
        yield GroupTurn(
            session, person, chat_id, link, team, role, round_, pack, rt.clock(), removed
        )
        await session.commit()


async def refused(turn: GroupTurn, update: Update, need: Need, needs_round: bool = False) -> bool:
    """Tell the person why not (a reply, or an alert on a button) and return True, or False."""
    reason = turn.refusal(need, needs_round)
    if reason is None:
        return False
    await tell(update, reason)
    return True


def alert_text(text: str) -> str:
    """What fits in an alert: a team name and a long translation could pass Telegram's limit."""
    return preview(text, ALERT_LIMIT)


async def alert(query: CallbackQuery, text: str) -> None:
    """Answer a button with an alert, cut to what Telegram shows."""
    await query.answer(alert_text(text), show_alert=True)


async def tell(update: Update, text: str) -> None:
    """Plain text to the person: an alert on a button, else a reply in the group."""
    if update.callback_query is not None:
        await alert(update.callback_query, text)
    else:
        # Refusals are plain text (button alerts show no HTML); the team name is user input.
        await update.effective_message.reply_text(esc(text))
