"""How frameworks read in the chat: a pack's one-line summary, the choice buttons, the refusals
of an uploaded file and its problems, all in the reader's language.

The validator's problems (criteria/validator.py) are templates with parameters: English in
`python -m criteria validate`, worded here in the reader's language, where they are too ("line 3,
column 1" or the field path, which is the file's own and stays as written).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.callbacks import new_team_pack_data, pack_for_team_data, pack_info_data
from bot.core.i18n import N_, _, ngettext
from bot.core.render import esc, preview
from bot.services.packs import PackChoice, choices_for
from criteria.loader import PackError
from criteria.model import Pack
from criteria.problems import Problem
from criteria.upload import Refusal, UploadRefused
from storage.models import Team

# A button shows a title of about this many characters; the ❓ beside it tells the rest.
BUTTON_TITLE_CHARS = 40
# The first problems of a broken file; the validator finds every one, a chat shows a few.
PROBLEMS_SHOWN = 10
# A problem quotes values from the file (a key, a text given where a list belongs), which may be
# very long: each problem's place and message are cut to this, so ten fit in one message.
PROBLEM_PATH_CHARS = 120
PROBLEM_MESSAGE_CHARS = 240

REFUSALS = {
    Refusal.TOO_BIG: N_("That file is too big: a framework file can be up to {limit_kb} KB."),
    Refusal.NOT_TEXT: N_("That file is not text in UTF-8, so it cannot be a framework file."),
    Refusal.ALIASES: N_(
        "Line {line} uses a YAML anchor or alias (&amp; or *). Framework files cannot use them: "
        "write each part out in full."
    ),
    Refusal.TOO_DEEP: N_(
        "Line {line} is nested more than {limit} levels deep; a framework file never needs that."
    ),
    Refusal.TOO_MANY_ELEMENTS: N_(
        "That file has more than {limit} YAML elements; a framework file is far smaller."
    ),
    Refusal.TOO_MANY_QUESTIONS: N_(
        "That framework has {count} questions; a team can answer up to {limit}. Split it into "
        "smaller frameworks."
    ),
    Refusal.TEXT_TOO_LONG: N_(
        "A text of “{where}” is {length} characters long; the limit is {limit}. Shorten it."
    ),
}


def counts(pack: Pack) -> str:
    """'5 areas, 23 questions' in the reader's language."""
    areas, questions = len(pack.areas()), len(pack.questions())
    return _("{areas}, {questions}").format(
        areas=ngettext("{count} area", "{count} areas", areas).format(count=areas),
        questions=ngettext("{count} question", "{count} questions", questions).format(
            count=questions
        ),
    )


def pack_line(pack: Pack, language: str) -> str:
    """“Title” (id, version): 5 areas, 23 questions."""
    shown = pack.translated(language)
    return _("“{title}” (<code>{id}</code>, v{version}): {counts}").format(
        title=esc(shown.title), id=esc(pack.id), version=esc(pack.version), counts=counts(pack)
    )


def pack_details(pack: Pack, language: str) -> str:
    """What the ❓ shows: the title, the description and what the pack holds."""
    shown = pack.translated(language)
    lines = [f"<b>{esc(shown.title)}</b>", pack_line(pack, language)]
    if shown.description:
        lines += ["", esc(shown.description)]
    lines += ["", _("Languages: {languages}").format(languages=esc(", ".join(pack.languages())))]
    return "\n".join(lines)


def _button_title(choice: PackChoice, language: str) -> str:
    title = preview(choice.pack.translated(language).title, BUTTON_TITLE_CHARS)
    areas, questions = len(choice.pack.areas()), len(choice.pack.questions())
    mark = "📄 " if choice.uploaded else ""
    return _("{mark}{title} · {areas} areas · {questions} q.").format(
        mark=mark, title=title, areas=areas, questions=questions
    )


def choice_keyboard(
    team_id: int, choices: list[PackChoice], language: str, default: str
) -> InlineKeyboardMarkup:
    """A row per pack, the server's default (DEFAULT_PACK) first: start the new team on it, or
    ❓ read what it is."""
    choices = sorted(choices, key=lambda choice: choice.key != default)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _button_title(choice, language),
                    callback_data=new_team_pack_data(team_id, choice.key),
                ),
                InlineKeyboardButton("❓", callback_data=pack_info_data(choice.key)),
            ]
            for choice in choices
        ]
    )


def teams_keyboard(pack_key: str, teams: list[Team]) -> InlineKeyboardMarkup:
    """After an upload: a button per team the person manages, to take the pack next round."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("Use for {team}").format(team=preview(team.name, BUTTON_TITLE_CHARS)),
                    callback_data=pack_for_team_data(team.id, pack_key),
                )
            ]
            for team in teams
        ]
    )


def refusal_text(refused: UploadRefused) -> str:
    params = {name: esc(str(value)) for name, value in refused.params.items()}
    return "⛔ " + _(REFUSALS[refused.reason]).format(**params)


def problems_text(error: PackError) -> str:
    """The first problems, each with where it is, and how many more there are."""
    shown = error.problems[:PROBLEMS_SHOWN]
    lines = [
        ngettext(
            "⚠️ This framework file has {count} problem:",
            "⚠️ This framework file has {count} problems:",
            len(error.problems),
        ).format(count=len(error.problems))
    ]
    for problem in shown:
        lines.append(f"• {problem_line(problem)}")
    hidden = len(error.problems) - len(shown)
    if hidden:
        lines.append(
            ngettext("…and {count} more.", "…and {count} more.", hidden).format(count=hidden)
        )
    lines += ["", _("Fix them and send the file again; criteria/README.md describes the format.")]
    return "\n".join(lines)


def problem_line(problem: Problem) -> str:
    """One problem in the reader's language: where it is, then what is wrong."""
    # Values from the file (names, ids, texts) are inside the rendered text: escape all of it.
    message = esc(preview(problem.text.render(_), PROBLEM_MESSAGE_CHARS))
    if problem.line is not None:
        return f"{esc(problem.where(_))}: {message}"
    if problem.path:
        return f"<code>{esc(preview(problem.path, PROBLEM_PATH_CHARS))}</code>: {message}"
    return message


async def round_pack_choice(turn, registry, args: list[str]) -> PackChoice | None:
    """The framework named last in `/round new NAME [date] PACK-ID`, if the manager may use it."""
    if not args:
        return None
    team_id = turn.assessment.team.id
    choices = await choices_for(turn.session, registry, turn.person.id, team_id)
    return named_choice(choices, args[-1])


def named_choice(choices: list[PackChoice], word: str) -> PackChoice | None:
    """The pack a person named by its id (their newest upload of that id, if it is theirs)."""
    return next((choice for choice in choices if word in (choice.key, choice.pack.id)), None)
