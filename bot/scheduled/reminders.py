"""Reminders: a nudge to each member who has questions left, with one tap back to where they were.

Who is reminded is decided in bot/domain/reminders.py; each send is claimed in the delivery log
first (bot/scheduled/broadcast.py), so one period's reminder reaches a person at most once however
often
the run is started, resumed after a crash, or started by an operator as well.
"""

from __future__ import annotations

import json
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.core import i18n
from bot.core.callbacks import ANSWER_PATTERN, AnswerButton, parse_answer_button
from bot.core.i18n import N_, _, ngettext
from bot.core.render import esc
from bot.core.runtime import Runtime, runtime
from bot.domain.reminders import NoReminder, ReminderPlan, plan_reminder
from bot.domain.schedule import week_prefix
from bot.private.away import away_button
from bot.scheduled.broadcast import Outgoing, RunOutcome, RunRequest, broadcast
from bot.services import deliveries
from bot.services.deliveries import DeliveryKind, DeliveryStatus, RunStart
from bot.services.reminders import reminder_candidates, switch_to_round_team
from bot.services.schedules import team_sending_window
from storage.models import AssessmentRound, Team
from storage.queries import current_round

log = logging.getLogger(__name__)

# Marked only: translated per recipient when the message is built.
CONTINUE_LABEL = N_("▶️ Continue where I stopped")
PAUSE_FOR_A_WEEK_LABEL = N_("🔕 No reminders for a week")


def register(app: Application, group: int) -> None:
    # One group before the answering handlers: a reminder from a team that is not the person's
    # active one switches them to it first, so its Continue button opens that team's question.
    app.add_handler(
        CallbackQueryHandler(follow_reminder_to_its_team, pattern=ANSWER_PATTERN), group - 1
    )


async def follow_reminder_to_its_team(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A 'resume' button: make its round's team the person's active one, if they belong to it."""
    button = parse_answer_button(update.callback_query.data)
    if button is None or button.action != "resume":
        return
    async with runtime(context).sessions() as session:
        if await switch_to_round_team(session, update.effective_user.id, button.round_id):
            await session.commit()
    # No ApplicationHandlerStop: the answering handler acts on the button next.


async def run_reminders(rt: Runtime, bot: Bot, request: RunRequest) -> RunOutcome:
    """Send one team's reminders for one period (e.g. '2026-W48-mon'), each person at most once.

    Outside the team's quiet hours only: `outcome.deferred_until` says when to go on.
    """
    team_id, period, now = request.team_id, request.period, request.now
    async with rt.sessions() as session:
        team = await session.get(Team, team_id)
        if team is None:
            return RunOutcome(team_id, period, None)
        window = team_sending_window(team, rt.settings.default_timezone, now)
        if held_back := request.held_back(window):
            return held_back
        start, run_id = await deliveries.start_run(
            session, DeliveryKind.REMINDER_RUN, team_id, period
        )
        outcome = RunOutcome(team_id, period, start)
        if start == RunStart.DONE:
            return outcome
        round_ = await current_round(session, team_id)
        if round_ is None:
            await deliveries.finish(session, run_id, DeliveryStatus.SENT, '{"round": null}')
            return outcome
        pack = rt.packs.get(round_.pack_id)
        members = await reminder_candidates(
            session, team_id, round_.id, week_prefix(period), period
        )
        logged = await deliveries.logged_deliveries(session, DeliveryKind.REMINDER, team_id, period)

    outgoing = []
    for member in members:
        # Each reminder in its reader's language: their choice, the team's default, Telegram's.
        language = i18n.resolve_language(
            member.chosen_language, team.language, member.telegram_language
        )
        plan = plan_reminder(pack.translated(language), member, now, team.weekly_reminder_cap)
        if isinstance(plan, NoReminder):
            outcome.skipped[plan.value] = outcome.skipped.get(plan.value, 0) + 1
        else:
            with i18n.use_language(language):
                outgoing.append(reminder_message(plan, team, round_))
    run = request.run(DeliveryKind.REMINDER, logged, window)
    outcome.report = await broadcast(bot, rt.sessions, run, outgoing)

    if outcome.report.deferred:
        outcome.deferred_until = window.reopens
    if not outcome.report.complete:
        log.warning("reminders cut short, resumed by the next sweep: %s", outcome.summary())
        return outcome
    async with rt.sessions() as session:
        detail = {
            "sent": outcome.report.sent,
            "failed": outcome.report.failed,
            "skipped": outcome.skipped,
        }
        await deliveries.finish(session, run_id, DeliveryStatus.SENT, json.dumps(detail))
    log.info("reminders: %s", outcome.summary())
    return outcome


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
            [away_button("week", _(PAUSE_FOR_A_WEEK_LABEL))],
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
