"""How a question, a saved answer and a person's progress look in the private chat.

Every text is in the current language (bot.core.i18n); the pack passed in is already translated.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.callbacks import AnswerButton
from bot.core.i18n import _, attachment_label, maturity_label, ngettext, number
from bot.core.render import esc, preview, progress_bar
from bot.domain.progress import AreaProgress
from criteria.model import MATURITY_LEVELS, Pack, Question
from storage.models import Answer
from storage.statuses import AnswerStatus

ATTACHMENTS_NAMED = 5  # beyond this a message says how many more


def question_text(
    pack: Pack,
    question: Question,
    done: int,
    answer: Answer | None,
    draft: str | None = None,
    previous: Answer | None = None,
) -> str:
    area = pack.area_of(question.id)
    position, size = pack.question_position(question.id)
    total = len(pack.questions())
    lines = [
        _("<b>{area}</b> · {position} of {size}").format(
            area=esc(area.title), position=position, size=size
        ),
        _("{bar} {done}/{total} done").format(
            bar=progress_bar(done, total), done=done, total=total
        ),
        "",
        f"<b>{esc(question.text)}</b>",
    ]
    if (
        answer is not None
        and answer.status == AnswerStatus.ANSWERED
        and (answer.text or answer.attachments)
    ):
        lines += ["", _("Your answer so far:")]
        if answer.text:
            lines.append(f"<blockquote>{esc(preview(answer.text))}</blockquote>")
        lines += attachment_lines(answer)
        lines.append(_("<i>Type to replace it, or tap Next.</i>"))
    elif previous is not None and not draft:
        lines += ["", _("Last time you said:"), *_answer_lines(previous)]
        lines.append(_("<i>Is it still true? Tap ✅ Still true, or type a new answer.</i>"))
    elif draft:
        lines += [
            "",
            _("You wrote:"),
            f"<blockquote>{esc(preview(draft))}</blockquote>",
            _("<i>Save it as your answer to this question?</i>"),
        ]
    else:
        lines += [
            "",
            _("<i>Type your answer — one message or several. A voice note or photo works too.</i>"),
        ]
    return "\n".join(lines)


def attachment_lines(answer: Answer) -> list[str]:
    """📎 and what each attached file is ("plan.pdf", "photo"), at most a few by name."""
    files = [esc(preview(a.name or attachment_label(a.kind), 60)) for a in answer.attachments]
    if not files:
        return []
    shown = files[:ATTACHMENTS_NAMED]
    more = len(files) - len(shown)
    line = "📎 " + ", ".join(shown)
    if more:
        line += " " + ngettext("and {count} more", "and {count} more", more).format(count=more)
    return [line]


def _answer_lines(answer: Answer) -> list[str]:
    lines = []
    if answer.text:
        lines.append(f"<blockquote>{esc(preview(answer.text))}</blockquote>")
    lines += attachment_lines(answer)
    if answer.rating:
        lines.append(_("Rated: {level}").format(level=esc(maturity_label(answer.rating))))
    return lines


def question_keyboard(
    pack: Pack,
    round_id: int,
    question: Question,
    answered: bool,
    draft: bool = False,
    still_true: bool = False,
) -> InlineKeyboardMarkup:
    def button(label: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            label, callback_data=AnswerButton(action, round_id, question.id).encode()
        )

    rows = []
    if draft:
        rows.append([button(_("✅ Save as answer"), "keep"), button(_("✖️ Discard"), "drop")])
    elif still_true:
        rows.append([button(_("✅ Still true"), "same")])
    if answered:
        rows.append([button(_("Next ➡️"), "next")])
    rows.append(
        [
            button(_("❓ Help"), "help"),
            button(_("⏭ Skip"), "skip"),
            button(_("🙅 Not my area"), "nma"),
        ]
    )
    navigation = [button(_("⏸ Pause"), "pause")]
    if pack.questions()[0].id != question.id:
        navigation.insert(0, button(_("⬅️ Back"), "back"))
    rows.append(navigation)
    return InlineKeyboardMarkup(rows)


def saved_text(answer: Answer, question: Question, appended: bool) -> str:
    size = len(answer.text)
    if appended:
        first = ngettext(
            "✅ Added to your answer ({count} character).",
            "✅ Added to your answer ({count} characters).",
            size,
        )
    else:
        first = ngettext("✅ Saved ({count} character).", "✅ Saved ({count} characters).", size)
    return first.format(count=number(size)) + "\n" + what_now_text(question)


def what_now_text(question: Question) -> str:
    """What a person can do once something is saved: rate it, add more, or go on."""
    if question.asks_rating:
        return _(
            "How established is this way of working? Tap one — or send another message to add more."
        )
    return _("Send another message to add more, or tap Next.")


def saved_keyboard(round_id: int, question: Question) -> InlineKeyboardMarkup:
    rows = []
    if question.asks_rating:
        rows += [
            [
                InlineKeyboardButton(
                    maturity_label(level.id),
                    callback_data=AnswerButton("rate", round_id, question.id, i).encode(),
                )
            ]
            for i, level in enumerate(MATURITY_LEVELS)
        ]
    label = _("Next without rating ➡️") if question.asks_rating else _("Next ➡️")
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
        lines += ["", _("Describe what you and your team actually do, in your own words.")]
    lines += ["", _("Type your answer whenever you are ready.")]
    return "\n".join(lines)


def progress_text(team_name: str, areas: list[AreaProgress]) -> str:
    done = sum(a.done for a in areas)
    total = sum(a.total for a in areas)
    lines = [
        _("📊 <b>Your progress — {team}</b>").format(team=esc(team_name)),
        ngettext("{bar} {done}/{total} question", "{bar} {done}/{total} questions", total).format(
            bar=progress_bar(done, total), done=done, total=total
        ),
    ]
    lines.append("")
    for area in areas:
        mark = "✅" if area.complete else "▫️"
        lines.append(f"{mark} {esc(area.title)}: {area.done}/{area.total}")
    return "\n".join(lines)


def finished_text(pack: Pack, skipped: int) -> str:
    total = len(pack.questions())
    if skipped:
        been_through = ngettext(
            "👏 You have been through {count} question.",
            "👏 You have been through all {count} questions.",
            total,
        ).format(count=total)
        still_skipped = ngettext(
            "{count} is still skipped — /next takes you back to them whenever you are ready.",
            "{count} are still skipped — /next takes you back to them whenever you are ready.",
            skipped,
        ).format(count=skipped)
        return f"{been_through} {still_skipped}"
    return ngettext(
        "🎉 <b>That's everything — thank you!</b>\nYour {count} answer is saved. Your manager "
        "sees the team's progress, and you will compare answers together in your team's group "
        "chat.\n\nYou can change any answer with /review until the round closes.",
        "🎉 <b>That's everything — thank you!</b>\nAll {count} answers are saved. Your manager "
        "sees the team's progress, and you will compare answers together in your team's group "
        "chat.\n\nYou can change any answer with /review until the round closes.",
        total,
    ).format(count=total)
