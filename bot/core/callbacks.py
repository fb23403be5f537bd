"""Callback data: a short prefix, an action and ids, always under Telegram's 64 bytes.

Buttons are checked against the database before anything happens (who pressed, do the ids still
mean something), so a forged or stale button can never act on someone else's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_CALLBACK_BYTES = 64
ANSWER_PREFIX = "a"
ANSWER_ACTIONS = (
    "help",
    "skip",
    "nma",
    "back",
    "pause",
    "next",
    "rate",
    "resume",
    "keep",
    "drop",
    "show",
    "same",  # keep last round's answer ("still true")
)
ANSWER_PATTERN = re.compile(
    rf"^{ANSWER_PREFIX}:(?P<action>{'|'.join(ANSWER_ACTIONS)}):(?P<round>\d{{1,12}}):"
    r"(?P<question>[a-z0-9][a-z0-9_.-]{0,39})(?::(?P<arg>\d{1,2}))?$"
)


def _checked(data: str) -> str:
    """Every builder's data goes through here: Telegram refuses callback data over 64 bytes."""
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


@dataclass(frozen=True)
class AnswerButton:
    action: str
    round_id: int
    question_id: str
    arg: int | None = None

    def encode(self) -> str:
        data = f"{ANSWER_PREFIX}:{self.action}:{self.round_id}:{self.question_id}"
        if self.arg is not None:
            data += f":{self.arg}"
        return _checked(data)


def parse_answer_button(data: str | None) -> AnswerButton | None:
    match = ANSWER_PATTERN.match(data or "")
    if match is None:
        return None
    arg = match["arg"]
    return AnswerButton(
        match["action"], int(match["round"]), match["question"], int(arg) if arg else None
    )


# Group chat buttons (bot/group/linking.py, bot/group/compare.py, bot/group/consensus.py). They
# carry ids only; the
# group's link, the presser's role and the row's team are checked again when pressed.
GROUP_LINK_PATTERN = re.compile(r"^gl:(?P<team>\d{1,12})$")  # link this group to a team
GROUP_JOIN_DATA = "gj"  # post the join link for the group's team
GROUP_JOIN_PATTERN = re.compile(r"^gj$")
COMPARE_PATTERN = re.compile(r"^gc:(?P<round>\d{1,12}):(?P<index>\d{1,4})$")  # show question
CONSENSUS_CLOSE_PATTERN = re.compile(r"^gs:(?P<consensus>\d{1,12})$")  # close a vote
# A secret vote by buttons (anonymous teams): the level is an index into the maturity levels.
CONSENSUS_VOTE_PATTERN = re.compile(r"^gv:(?P<consensus>\d{1,12}):(?P<level>\d)$")


def group_link_data(team_id: int) -> str:
    return _checked(f"gl:{team_id}")


def compare_data(round_id: int, question_index: int) -> str:
    return _checked(f"gc:{round_id}:{question_index}")


def consensus_close_data(consensus_id: int) -> str:
    return _checked(f"gs:{consensus_id}")


def consensus_vote_data(consensus_id: int, level_index: int) -> str:
    return _checked(f"gv:{consensus_id}:{level_index}")


# Team admin and privacy buttons (bot/manage/team_admin.py, bot/private/privacy.py). The presser's
# membership and role, and the target's, are read from the database again when pressed.
class TeamAction(StrEnum):
    """What a team button does; the value is what the button carries."""

    REMOVE = "rm"  # ask to confirm removing a member
    CONFIRM_REMOVE = "rmy"  # remove them
    MAKE_MANAGER = "mgr"
    USE = "use"  # answer for this team (/teams)


TEAM_PATTERN = re.compile(
    rf"^tm:(?P<action>{'|'.join(TeamAction)}):(?P<team>\d{{1,12}})(?::(?P<person>\d{{1,12}}))?$"
)
TEAM_CANCEL_DATA = "tm:x"
TEAM_CANCEL_PATTERN = re.compile(r"^tm:x$")
PRIVACY_PATTERN = re.compile(r"^pv:(?P<action>forget|keep):(?P<person>\d{1,12})$")
# Buttons a person removed from their team may still press (bot/core/access.py): their own
# data, and choosing another of their teams.
STILL_ALLOWED_BUTTON_PREFIXES = ("pv:", f"tm:{TeamAction.USE}:")


def team_data(action: TeamAction | str, team_id: int, person_id: int | None = None) -> str:
    return _checked(
        f"tm:{TeamAction(action)}:{team_id}" + (f":{person_id}" if person_id is not None else "")
    )


def privacy_data(action: str, person_id: int) -> str:
    return _checked(f"pv:{action}:{person_id}")


# Private-chat buttons of single features: /review's areas, /language, /away, /export's rounds.
REVIEW_PATTERN = re.compile(r"^r:(?P<round>\d{1,12}):(?P<area>[a-z0-9][a-z0-9_.-]{0,39})$")
LANGUAGE_PATTERN = re.compile(r"^lang:(?P<code>[a-z]{2,3})$")
AWAY_PATTERN = re.compile(r"^away:(?P<choice>day|week|date|off)$")
EXPORT_PATTERN = re.compile(r"^ex:(?P<round>\d{1,12})$")  # export this round


def review_data(round_id: int, area_id: str) -> str:
    return _checked(f"r:{round_id}:{area_id}")


def language_data(code: str) -> str:
    return _checked(f"lang:{code}")


def away_data(choice: str) -> str:
    """The /away buttons' data (also under reminders): 'day', 'week', 'date' or 'off'."""
    return _checked(f"away:{choice}")


def export_data(round_id: int) -> str:
    return _checked(f"ex:{round_id}")


# /score's buttons (bot/private/scoring.py): the round, the area's number in the pack, the
# dimension's index, a band index or a score, and in ADLI mode the scores already chosen for the
# earlier dimensions (nothing is stored before the summary's Confirm, so they travel with the
# buttons). All of it is checked again when pressed: the round must be the presser's open one,
# the area scored, every score on the scale and the area's agreed score not yet set.
SCORE_ACTIONS = ("area", "help", "band", "set", "back", "ok")
SCORE_PATTERN = re.compile(
    rf"^sc:(?P<action>{'|'.join(SCORE_ACTIONS)}):(?P<round>\d{{1,12}}):(?P<area>\d{{1,3}})"
    r"(?::(?P<dim>\d):(?P<arg>\d{1,3})(?::(?P<prev>\d{1,3}(?:\.\d{1,3}){0,2}))?)?$"
)


def score_data(
    action: str,
    round_id: int,
    area_number: int,
    dim: int | None = None,
    arg: int | None = None,
    prev: tuple[int, ...] = (),
) -> str:
    data = f"sc:{action}:{round_id}:{area_number}"
    if dim is not None:
        data += f":{dim}:{arg}"
        if prev:
            data += ":" + ".".join(str(value) for value in prev)
    return _checked(data)


# Frameworks (bot/private/onboarding.py's /newteam, bot/manage/packs.py). A pack is its id, or
# "upload:<row>" for one sent in the chat; the presser's right to the team and to the pack is
# read from the database again when pressed (bot/services/packs.py: may_use).
PACK_KEY = r"(?P<pack>upload:\d{1,12}|[a-z0-9][a-z0-9_.-]{0,39})"
NEW_TEAM_PACK_PATTERN = re.compile(rf"^nt:(?P<team>\d{{1,12}}):{PACK_KEY}$")  # start on this pack
PACK_INFO_PATTERN = re.compile(rf"^pi:{PACK_KEY}$")  # what this pack is (its description)
PACK_FOR_TEAM_PATTERN = re.compile(rf"^pu:(?P<team>\d{{1,12}}):{PACK_KEY}$")  # team's next pack


def new_team_pack_data(team_id: int, pack_key: str) -> str:
    return _checked(f"nt:{team_id}:{pack_key}")


def pack_info_data(pack_key: str) -> str:
    return _checked(f"pi:{pack_key}")


def pack_for_team_data(team_id: int, pack_key: str) -> str:
    return _checked(f"pu:{team_id}:{pack_key}")


# Improvement plans (bot/manage/themes.py, bot/manage/actions.py). A theme button names the
# round, the area by its index in the pack and the item by its key (bot.domain.actions.ofi_key);
# an action button names the action. The presser's role in the row's team, and the row itself,
# are read again when pressed.
THEME_PICK_PATTERN = re.compile(
    r"^th:(?P<kind>p|s):(?P<round>\d{1,12}):(?P<area>\d{1,3}):(?P<key>[0-9a-f]{8})$"
)
THEME_REMOVE_PATTERN = re.compile(r"^th:x:(?P<theme>\d{1,12})$")
# A priority's rating: "r" opens its impact and effort buttons, "i"/"e" sets one (0 clears it),
# "l" goes back to the list of the theme's round.
THEME_RATE_PATTERN = re.compile(r"^th:(?P<what>r|l|i|e):(?P<theme>\d{1,12})(?::(?P<level>[0-3]))?$")
THEME_ADD_PATTERN = re.compile(r"^th:a:(?P<round>\d{1,12})$")  # the manager types a theme


class ActionStep(StrEnum):
    """What an action button does; the value is what the button carries."""

    FROM_THEME = "new"  # id: a theme; start an action serving it
    OWNER = "own"  # id: the action, arg: the person who will own it
    DUE = "due"  # arg: days ahead (bot.domain.actions.DUE_CHOICES)
    START = "go"
    DONE = "ok"
    BLOCK = "bl"
    NOTE = "nt"  # the owner types a progress note
    REASSIGN = "re"  # show the owner buttons again
    DROP = "dr"
    CARRY = "kp"  # a new round's walk-through: keep it, carried into the new round


ACTION_PATTERN = re.compile(
    rf"^ac:(?P<step>{'|'.join(ActionStep)}):(?P<id>\d{{1,12}})(?::(?P<arg>\d{{1,12}}))?$"
)
ACTION_FILTER_PATTERN = re.compile(r"^af:(?P<filter>open|overdue|done)$")


def theme_pick_data(kind: str, round_id: int, area_index: int, key: str) -> str:
    return _checked(f"th:{kind}:{round_id}:{area_index}:{key}")


def theme_remove_data(theme_id: int) -> str:
    return _checked(f"th:x:{theme_id}")


def theme_rate_data(what: str, theme_id: int, level: int | None = None) -> str:
    return _checked(f"th:{what}:{theme_id}" + (f":{level}" if level is not None else ""))


def theme_add_data(round_id: int) -> str:
    return _checked(f"th:a:{round_id}")


def action_data(step: ActionStep | str, target_id: int, arg: int | None = None) -> str:
    return _checked(f"ac:{ActionStep(step)}:{target_id}" + (f":{arg}" if arg is not None else ""))


def action_filter_data(name: str) -> str:
    return _checked(f"af:{name}")
