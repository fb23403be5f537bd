"""The reminder run: a nudge to each member of a team who has questions left, with one tap back
to where they were.

Who is reminded is decided in bot/domain/reminders.py; each send is claimed in the delivery log
first (bot/scheduled/broadcast.py), so one period's reminder reaches a person at most once however
often the run is started, resumed after a crash, or started by an operator as well.
"""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import i18n
from bot.core.callbacks import AnswerButton, away_data
from bot.core.i18n import N_, _, ngettext
from bot.core.render import esc
from bot.core.runtime import Runtime
from bot.domain.reminders import MemberState, NoReminder, ReminderPlan, plan_reminder
from bot.domain.schedule import week_prefix
from bot.scheduled.broadcast import Outgoing, RunOutcome, RunRequest
from bot.scheduled.runs import Composed, RunKind, StartedRun, perform_run
from bot.services.deliveries import DeliveryKind
from bot.services.reminders import reminder_candidates
from storage.models import AssessmentRound, Team

# Marked only: translated per recipient when the message is built.
CONTINUE_LABEL = N_("▶️ Continue where I stopped")
PAUSE_FOR_A_WEEK_LABEL = N_("🔕 No reminders for a week")

REMINDERS = RunKind(
    "reminders", DeliveryKind.REMINDER_RUN, DeliveryKind.REMINDER, '{"round": null}'
)


async def run_reminders(rt: Runtime, bot: Bot, request: RunRequest) -> RunOutcome:
    """Send one team's reminders for one period (e.g. '2026-W48-mon'), each person at most once.

    Outside the team's quiet hours only: `outcome.deferred_until` says when to go on.
    """
    return await perform_run(rt, bot, REMINDERS, request, _candidates, _reminders)


async def _candidates(session: AsyncSession, started: StartedRun) -> list[MemberState]:
    period = started.request.period
    return await reminder_candidates(
        session, started.team.id, started.round.id, week_prefix(period), period
    )


async def _reminders(started: StartedRun, members: list[MemberState]) -> Composed:
    team, round_, outcome = started.team, started.round, started.outcome
    pack = started.pack
    outgoing = []
    for member in members:
        # Each reminder in its reader's language: their choice, the team's default, Telegram's.
        language = i18n.resolve_language(
            member.chosen_language, team.language, member.telegram_language
        )
        translated = pack.translated(language)
        plan = plan_reminder(translated, member, started.request.now, team.weekly_reminder_cap)
        if isinstance(plan, NoReminder):
            outcome.skipped[plan.value] = outcome.skipped.get(plan.value, 0) + 1
        else:
            with i18n.use_language(language):
                outgoing.append(reminder_message(plan, team, round_))
    return outgoing, _run_detail


def _run_detail(outcome: RunOutcome) -> str:
    report = outcome.report
    return json.dumps({"sent": report.sent, "failed": report.failed, "skipped": outcome.skipped})


def reminder_message(plan: ReminderPlan, team: Team, round_: AssessmentRound) -> Outgoing:
    text = reminder_text(plan, team.name, round_)
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _(CONTINUE_LABEL),
                    callback_data=AnswerButton(
                        "resume", round_.id, plan.resume_question_id
                    ).encode(),
                )
            ],
            [InlineKeyboardButton(_(PAUSE_FOR_A_WEEK_LABEL), callback_data=away_data("week"))],
        ]
    )

    async def send(bot: Bot, chat_id: int) -> object:
        return await bot.send_message(chat_id, text, reply_markup=keyboard)

    return Outgoing(plan.chat_id, (send,))


def reminder_text(plan: ReminderPlan, team_name: str, round_: AssessmentRound) -> str:
    """The reminder in the current language (run_reminders sets the recipient's)."""
    lines = [
        ngettext(
            "⏰ Hi {name}! <b>{team}</b>'s self-assessment still has {count} question for you:",
            "⏰ Hi {name}! <b>{team}</b>'s self-assessment still has {count} questions for you:",
            plan.questions_left,
        ).format(name=esc(plan.name), team=esc(team_name), count=plan.questions_left),
    ]
    lines += [f"• {esc(area.title)} — {area.questions}" for area in plan.areas_left]
    if round_.due_date is not None:
        lines += ["", _("Due {date}.").format(date=i18n.day_and_date(round_.due_date))]
    lines += ["", _("One tap takes you back to exactly where you stopped.")]
    return "\n".join(lines)
