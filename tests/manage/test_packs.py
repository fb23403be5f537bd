"""Frameworks end to end: choosing one for a new team (buttons or its id), a manager's own pack
sent as a file (checked, kept, theirs alone), /pack, and a new round on another framework."""

from __future__ import annotations

from sqlmodel import select

from bot.core.callbacks import new_team_pack_data, pack_for_team_data
from bot.services import packs
from bot.services.packs import CHOICES_MAX
from criteria.loader import DEFAULT_PACK_ID, load_packs
from criteria.upload import check_upload
from storage.models import AssessmentRound, Person, Team, UploadedPack
from tests.support.flows import INVITE_LINK, start_team

PACKS = load_packs()
ORG = PACKS.get("baldrige-organisation")
MINE = """\
id: consultant-check
version: "1.0"
title: Consultant's quick check
description: Three questions a consultant asks first.
language: en
categories:
  - id: basics
    title: Basics
    areas:
      - id: customers
        title: Customers
        questions:
          - id: customers-1
            text: How do you learn what your customers need next year?
"""


async def row(db, model, *conditions):
    async with db.sessions() as session:
        return (await session.execute(select(model).where(*conditions))).scalars().first()


def data_of(message, contains: str) -> str:
    """The callback data of the first button whose data contains `contains`."""
    for buttons in message.buttons:
        for _text, data in buttons:
            if data and contains in data:
                return data
    raise AssertionError(f"no button with {contains!r}: {message.buttons}")


async def join_and_see(fake, name: str, ready, question: str):
    person = fake.person(name)
    await person.command("/start", INVITE_LINK.search(ready.text).group(2))
    await person.wait_for_message(contains=question)
    return person


async def test_a_new_team_chooses_its_framework_by_button_or_by_id(fake, bot, db):
    maria = fake.person("Maria")
    await maria.command("/newteam", "Board")
    asked = await maria.wait_for_message(contains="Which framework")
    assert any(text.startswith(ORG.title) for text in asked.button_texts)
    assert asked.button_texts.count("❓") == 2
    await maria.press(asked, callback_data=data_of(asked, f"pi:{ORG.id}"))
    info = await maria.wait_for_message(contains="Languages")
    assert ORG.title in info.text and f"{len(ORG.questions())} questions" in info.text

    stale = data_of(asked, f":{DEFAULT_PACK_ID}")
    await maria.press(asked, callback_data=data_of(asked, f":{ORG.id}"))
    ready = await maria.wait_for_message(contains="is ready")
    assert ORG.title in ready.text
    await join_and_see(fake, "Sam", ready, ORG.questions()[0].text)
    await maria.press_data(asked, stale)  # the buttons are gone; a stale press changes nothing
    await fake.wait_until(
        lambda: any("chosen already" in (a.text or "") for a in fake.callback_answers)
    )
    board = await row(db, Team, Team.name == "Board")
    assert board.pack_id == ORG.id

    await maria.command("/newteam", f"Front desk {ORG.id}")
    direct = await maria.wait_for_message(contains="is ready")
    assert "Front desk" in direct.text and ORG.title in direct.text

    await maria.command("/pack")
    shown = await maria.wait_for_message(contains="Frameworks you can use")
    assert "Front desk answers" in shown.text
    assert DEFAULT_PACK_ID in shown.text and ORG.id in shown.text


async def test_a_managers_own_pack_is_theirs_alone(fake, bot, db):
    maria, _token = await start_team(fake)
    await maria.send_document("mine.yaml", MINE.encode(), mime_type="application/x-yaml")
    kept = await maria.wait_for_message(contains="checked and kept")
    assert "Consultant's quick check" in kept.text and "1 question" in kept.text
    assert any(text.startswith("Use for") for text in kept.button_texts)
    uploaded = await row(db, UploadedPack, UploadedPack.pack_id == "consultant-check")
    key = f"upload:{uploaded.id}"

    await maria.command("/newteam", "Consultancy")
    asked = await maria.wait_for_message(contains="Which framework")
    assert any("Consultant's quick check" in text for text in asked.button_texts)
    await maria.press(asked, callback_data=data_of(asked, key))
    ready = await maria.wait_for_message(contains="is ready")
    sam = await join_and_see(fake, "Sam", ready, "How do you learn what your customers need")
    # A member's .yaml file is an attachment to their answer, not a framework.
    await sam.send_document("notes.yaml", b"notes: [1, 2]\n")
    attached = await sam.wait_for_message()
    assert "framework" not in attached.text and "notes.yaml" in attached.text

    # Another manager: the pack is not offered, and forged buttons are refused.
    bob = fake.person("Bob")
    await bob.command("/newteam", "Other")
    other = await bob.wait_for_message(contains="Which framework")
    assert not any("Consultant" in text for text in other.button_texts)
    other_team = await row(db, Team, Team.name == "Other")
    await bob.press_data(other, new_team_pack_data(other_team.id, key))
    await bob.press_data(other, pack_for_team_data(other_team.id, key))
    await fake.wait_until(
        lambda: len([a for a in fake.callback_answers if "cannot use" in (a.text or "")]) == 2
    )
    assert (await row(db, AssessmentRound, AssessmentRound.team_id == other_team.id)) is None
    await bob.command("/pack")
    listing = await bob.wait_for_message(contains="Frameworks you can use")
    assert "consultant-check" not in listing.text

    # The same version again is recognised; a changed one under the same version is refused.
    await maria.send_document("mine.yaml", MINE.encode())
    await maria.wait_for_message(contains="sent this version before")
    await maria.send_document("mine.yaml", MINE.replace("Three", "Four").encode())
    await maria.wait_for_message(contains="change version:")


async def test_broken_and_hostile_files_get_a_clear_answer(fake, bot, db):
    maria, _token = await start_team(fake)
    await maria.send_document("broken.yaml", MINE.replace("title: Customers", "titel: x").encode())
    problems = await maria.wait_for_message(contains="problem")
    assert "categories[0].areas[0].titel" in problems.text and "did you mean" in problems.text
    bomb = b'a: &a ["lol", "lol"]\nb: [*a, *a]\n'
    await maria.send_document("bomb.yaml", bomb)
    await maria.wait_for_message(contains="anchor or alias")
    await maria.send_document("huge.yaml", b"#" * (300 * 1024))
    await maria.wait_for_message(contains="too big")
    await maria.send_document("deep.yml", b"a: " + b"[" * 60 + b"]" * 60)
    await maria.wait_for_message(contains="levels deep")
    await maria.command("/pack")  # still up
    await maria.wait_for_message(contains="Frameworks you can use")
    async with db.sessions() as session:
        assert (await session.execute(select(UploadedPack))).first() is None


async def test_a_new_round_can_move_the_team_to_another_framework(fake, bot, db):
    maria, _token = await start_team(fake)
    await maria.command("/round", f"new Spring {ORG.id}")
    opened = await maria.wait_for_message(contains="is open")
    assert ORG.title in opened.text
    async with db.sessions() as session:
        rounds = (
            (await session.execute(select(AssessmentRound).order_by(AssessmentRound.id)))
            .scalars()
            .all()
        )
    assert [r.pack_id for r in rounds] == [DEFAULT_PACK_ID, ORG.id]
    assert rounds[0].closed_at is not None
    await maria.command("/next")
    await maria.wait_for_message(contains=ORG.questions()[0].text)

    # The export's trends say the rounds use different frameworks and what they compare.
    await maria.command("/export")
    which = await maria.wait_for_message(contains="Which round")
    await maria.press(which, "Spring · open")
    markdown = await maria.wait_for_message(
        lambda m: m.document is not None and (m.document.filename or "").endswith(".md")
    )
    text = fake.file_bytes(markdown.document.file_id).decode()
    assert "The rounds use different frameworks" in text and ORG.title in text


async def test_uploaded_packs_cost_a_bounded_number_of_statements(db):
    registry = load_packs()
    async with db.sessions() as session:
        person = Person(telegram_user_id=4242, first_name="Maria")
        session.add(person)
        await session.flush()
        for number in range(CHOICES_MAX + 5):
            text = MINE.replace("consultant-check", f"pack-{number}")
            pack, source = check_upload(text.encode(), "mine.yaml")
            await packs.store_upload(session, person, pack, source)
        await session.commit()
        counts = []
        with db.statements.measure() as cost:
            choices = await packs.choices_for(session, registry, person.id)
        counts.append(cost.count)
        with db.statements.measure() as cost:
            again = await packs.choices_for(session, registry, person.id)
        counts.append(cost.count)
        with db.statements.measure() as cost:
            await packs.pack_of(session, registry, choices[-1].key)
        counts.append(cost.count)
    # the person's uploads, then every new one in a single read; then only the list; then none
    assert counts == [2, 1, 0]
    uploaded = [choice for choice in choices if choice.uploaded]
    assert len(uploaded) == CHOICES_MAX and [c.key for c in again] == [c.key for c in choices]
