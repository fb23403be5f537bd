"""How a question, a saved answer and a person's progress look in the private chat."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AnswerButton
from bot.domain.progress import AreaProgress
from bot.render import esc, preview, progress_bar
from criteria.model import MATURITY_LEVELS, Pack, Question
from storage.models import Answer


def question_text(
    pack: Pack, question: Question, done: int, answer: Answer | None, draft: str | None = None
) -> str:
    area = pack.area_of(question.id)
    position, size = pack.question_position(question.id)
    total = len(pack.questions())
    lines = [
        f"<b>{esc(area.title)}</b> · {position} of {size}",
        f"{progress_bar(done, total)} {done}/{total} done",
        "",
        f"<b>{esc(question.text)}</b>",
    ]
    if (
        answer is not None
        and answer.status == "answered"
        and (answer.text or answer.attachment_kind)
    ):
        lines += ["", "Your answer so far:"]
        if answer.text:
            lines.append(f"<blockquote>{esc(preview(answer.text))}</blockquote>")
        if answer.attachment_kind:
            lines.append(f"📎 {esc(answer.attachment_name or answer.attachment_kind)}")
        lines.append("<i>Type to replace it, or tap Next.</i>")
    elif draft:
        lines += [
            "",
            "You wrote:",
            f"<blockquote>{esc(preview(draft))}</blockquote>",
            "<i>Save it as your answer to this question?</i>",
        ]
    else:
        lines += [
            "",
            "<i>Type your answer — one message or several. A voice note or photo works too.</i>",
        ]
    return "\n".join(lines)


def question_keyboard(
    pack: Pack, round_id: int, question: Question, answered: bool, draft: bool = False
) -> InlineKeyboardMarkup:
    def button(label: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=AnswerButton(action, round_id, question.id).encode()
        )

    rows = []
    if draft:
        rows.append([button("✅ Save as answer", "keep"), button("✖️ Discard", "drop")])
    if answered:
        rows.append([button("Next ➡️", "next")])
    rows.append(
        [button("❓ Help", "help"), button("⏭ Skip", "skip"), button("🙅 Not my area", "nma")]
    )
    navigation = [button("⏸ Pause", "pause")]
    if pack.questions()[0].id != question.id:
        navigation.insert(0, button("⬅️ Back", "back"))
    rows.append(navigation)
    return InlineKeyboardMarkup(rows)


def saved_text(answer: Answer, question: Question, appended: bool) -> str:
    verb = "Added to your answer" if appended else "Saved"
    lines = [f"✅ {verb} ({len(answer.text):,} characters)."]
    if question.asks_rating:
        lines.append(
            "How established is this way of working? Tap one — or send another message to add more."
        )
    else:
        lines.append("Send another message to add more, or tap Next.")
    return "\n".join(lines)


def saved_keyboard(round_id: int, question: Question) -> InlineKeyboardMarkup:
    rows = []
    if question.asks_rating:
        rows += [
            [
                InlineKeyboardButton(
                    level.label,
                    callback_data=AnswerButton("rate", round_id, question.id, i).encode(),
                )
            ]
            for i, level in enumerate(MATURITY_LEVELS)
        ]
    label = "Next without rating ➡️" if question.asks_rating else "Next ➡️"
    rows.append(
        [
            InlineKeyboardButton(
                label, callback_data=AnswerButton("next", round_id, question.id).encode()
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def help_text(pack: Pack, question: Question) -> str:
    area = pack.area_of(question.id)
    lines = [f"❓ <b>{esc(question.text)}</b>"]
    if question.help:
        lines += ["", esc(question.help)]
    for note in area.notes:
        title = f"<b>{esc(note.title)}</b>\n" if note.title else ""
        lines += ["", f"{title}<i>{esc(note.text)}</i>"]
    if not question.help and not area.notes:
        lines += ["", "Describe what you and your team actually do, in your own words."]
    lines += ["", "Type your answer whenever you are ready."]
    return "\n".join(lines)


def progress_text(team_name: str, areas: list[AreaProgress]) -> str:
    done = sum(a.done for a in areas)
    total = sum(a.total for a in areas)
    lines = [
        f"📊 <b>Your progress — {esc(team_name)}</b>",
        f"{progress_bar(done, total)} {done}/{total} questions",
    ]
    lines.append("")
    for area in areas:
        mark = "✅" if area.complete else "▫️"
        lines.append(f"{mark} {esc(area.title)}: {area.done}/{area.total}")
    return "\n".join(lines)


def finished_text(pack: Pack, skipped: int) -> str:
    if skipped:
        return (
            f"👏 You have been through all {len(pack.questions())} questions. "
            f"{skipped} {'is' if skipped == 1 else 'are'} still skipped — /next takes you "
            "back to them whenever you are ready."
        )
    return (
        f"🎉 <b>That's everything — thank you!</b>\nAll {len(pack.questions())} answers are "
        "saved. Your manager sees the team's progress, and you will compare answers together "
        "in your team's group chat.\n\nYou can change any answer with /review until the round "
        "closes."
    )
