"""A framework file that cannot be used, sent in the chat: its problems in the sender's language
with where they are, a clear refusal for a huge or hostile file, and the bot answering right
after each; the command line keeps printing the same problems in English."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from criteria.loader import DEFAULT_PACK_ID
from criteria.upload import MAX_YAML_EVENTS
from tests.manage.test_packs import MINE
from tests.support.flows import INVITE_LINK, start_team

REPO = Path(__file__).resolve().parents[2]
# Line 3 repeats line 2's key; the area's "titel" is a typo for "title".
BROKEN = MINE.replace('version: "1.0"\n', 'version: "1.0"\nversion: "1.1"\n', 1).replace(
    "title: Customers", "titel: Customers"
)
# "Billion laughs": nine levels of aliases, each ten times the one before.
ALIAS_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]\n" for n in range(8)
)
DEEP = "a: " + "[" * 200 + "]" * 200 + "\n"
MANY_ELEMENTS = "a: [" + ", ".join(["1"] * (MAX_YAML_EVENTS + 1)) + "]\n"
TEN_MB = b"# " + b"x" * (10 * 1024 * 1024)


def cli_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "criteria", "validate", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_a_spanish_speaking_manager_reads_the_problems_in_spanish(fake, bot, db, tmp_path):
    lucia = fake.person("Lucía", language_code="es")
    await lucia.command("/newteam", f"Recepción {DEFAULT_PACK_ID}")
    created = await lucia.wait_for_message(contains="https://t.me/")
    assert INVITE_LINK.search(created.text)

    await lucia.send_document("broken.yaml", BROKEN.encode())
    problems = await lucia.wait_for_message(contains="problemas")
    assert "Este archivo de marco tiene 3 problemas" in problems.text
    assert (
        "línea 3, columna 1: clave repetida 'version' (aparece antes en la línea 2); "
        "solo se puede conservar una" in problems.text
    )
    titel = "categories[0].areas[0].titel"
    assert f"{titel}: campo desconocido 'titel'; ¿querías decir 'title'?" in problems.text
    assert "categories[0].areas[0].title: falta un campo obligatorio" in problems.text
    assert "Corrígelos y vuelve a enviar el archivo" in problems.text
    assert "duplicate key" not in problems.text and "did you mean" not in problems.text

    # The same file on the command line: the same problems, in English as before.
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = cli_validate(path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: line 3, column 1: duplicate key 'version' (first given on line 2); "
        "only one can be kept",
        f"{path}: {titel}: unknown field 'titel'; did you mean 'title'? "
        "(known fields: id, title, description, rating, notes, questions)",
        f"{path}: categories[0].areas[0].title: required field is missing",
    ]


async def test_huge_and_hostile_files_are_refused_and_the_bot_answers_right_after(fake, bot, db):
    maria, _token = await start_team(fake)
    # A question written as one long line of text instead of a mapping, fifty times over: each
    # problem quotes it, and the answer must still fit Telegram's 4,096 characters.
    long_text = "How do we " + "really " * 700 + "know?"
    quoting = MINE.replace(
        "          - id: customers-1\n            text: How do you learn what your customers "
        "need next year?\n",
        "".join(f"          - {long_text}\n" for _ in range(50)),
    )
    files = [
        ("bomb.yaml", ALIAS_BOMB.encode(), "anchor or alias"),
        ("deep.yaml", DEEP.encode(), "levels deep"),
        ("many.yaml", MANY_ELEMENTS.encode(), "YAML elements"),
        ("huge.yaml", TEN_MB, "too big"),
        ("binary.yaml", b"\xff\xfe\x00 not text", "not text in UTF-8"),
        ("quoting.yaml", quoting.encode(), "has 50 problems"),
    ]
    for name, data, refusal in files:
        await maria.send_document(name, data)
        answer = await maria.wait_for_message(contains=refusal)
        assert len(answer.text) <= 4096
        # The bot is still up and answers the next command at once.
        await maria.command("/pack")
        await maria.wait_for_message(contains="Frameworks you can use")
    assert "…and 40 more." in answer.text
