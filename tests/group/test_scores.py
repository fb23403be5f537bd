"""Scoring like Baldrige examiners, end to end: private scores on the bands, the reveal in the
group with the widest spread first, the agreed score, and the gap between managers and members.

Through the fake Bot API (which refuses what Telegram would) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import update

from bot.core.callbacks import score_data
from bot.private.score_view import band_button
from storage.models import AgreedScore, AssessmentRound, Membership, Score, ScoreRevision
from tests.support.groups import AREAS, linked_group, person_id, stored, team_with_members

NOT_MINE = "🙅 Not my area"


async def finish_area(person, area, shown) -> object:
    """Tap "not my area" through an area's questions, starting at the message `shown`; returns
    the offer to score the area, which comes before the next question."""
    for index, _question in enumerate(area.questions):
        await person.press(shown, NOT_MINE)
        if index + 1 == len(area.questions):
            return await person.wait_for_message(contains="You finished")
        shown = await person.wait_for_message(contains=area.questions[index + 1].text)
    raise AssertionError("an area without questions")


async def score_from(person, message, button: str, value: int):
    """From the offer (or /score's list): the area, its band, the score inside; the summary."""
    await person.press(message, button)
    bands = await person.wait_for_message(contains="Which band")
    band = next(i for i, high in enumerate((5, 25, 45, 65, 85, 100)) if value <= high)
    await person.press(bands, band_button(band))
    await person.wait_for_edit(bands)
    await person.press(bands, f"{value} %")
    await person.wait_for_edit(bands)
    assert "Your score for" in bands.text and f"{value} %" in bands.text
    return bands


async def test_scores_reveal_consensus_and_gap(fake, bot, db):
    maria, _token, (ana, ben, cai, dan) = await team_with_members(fake, "Ana", "Ben", "Cai", "Dan")
    group = await linked_group(fake, maria)
    for someone in (ana, ben, cai, dan):
        group.join_silently(someone)
    await maria.command("/anonymous", "threshold 2", chat=group)
    await group.wait_for_message(contains="Comparisons show names")
    async with db.sessions() as session:  # Dan manages too, from before anyone scores
        await session.execute(
            update(Membership)
            .where(Membership.person_id == await person_id(db, dan))
            .values(role="manager")
        )
        await session.commit()
    first_area, second_area = AREAS[0], AREAS[1]

    # Maria finishes both areas; the offer never holds up the next question.
    await maria.command("/next")
    shown = await maria.wait_for_message(contains=first_area.questions[0].text)
    offer = await finish_area(maria, first_area, shown)
    shown = await maria.wait_for_message(contains=second_area.questions[0].text)
    assert "Score it now" in offer.text
    second_offer = await finish_area(maria, second_area, shown)

    # Nothing is revealed yet: nobody scored.
    with db.statements.measure() as empty_reveal_cost:
        await maria.command("/scores", chat=group)
        empty = await group.wait_for_message(contains="Scores of")
    empty_reveal_count = empty_reveal_cost.count
    with db.statements.measure() as empty_gap_cost:
        await maria.command("/gap", chat=group)
        await group.wait_for_message(contains="How managers and members")
    empty_gap_count = empty_gap_cost.count
    assert "Nobody has scored yet: 1, 2, 3, 4, 5." in empty.text

    # A forged score off the scale is refused, and nothing is stored.
    await maria.press(offer, "🎯 Score this area")
    bands = await maria.wait_for_message(contains="Which band")
    (assessment,) = await stored(db, AssessmentRound)
    round_id = assessment.id
    for forged in (105, 42):
        count = len([a for a in maria.callback_answers if a.show_alert])
        await maria.press_data(bands, score_data("set", round_id, 1, 0, forged))
        await fake.wait_until(
            lambda c=count: len([a for a in maria.callback_answers if a.show_alert]) > c
        )
        assert maria.callback_answers[-1].text == "That is not a score on the scale."
    assert await stored(db, Score) == []

    await score_from(maria, offer, "🎯 Score this area", 60)
    await score_from(maria, second_offer, "🎯 Score this area", 90)
    # A double tap (or a change of mind) keeps one current score and its history.
    await maria.command("/score")
    listing = await maria.wait_for_message(contains="Score an area")
    assert f"1. {first_area.title} · 60 %" in listing.button_texts
    await score_from(maria, listing, f"1. {first_area.title} · 60 %", 65)
    await score_from(maria, listing, f"1. {first_area.title} · 60 %", 65)  # tapped twice
    rows = await stored(db, Score)
    assert sorted(r.value for r in rows) == [65, 90]
    assert [r.value for r in await stored(db, ScoreRevision)] == [60]

    for someone, value in ((ana, 30), (ben, 30), (cai, 35), (dan, 60)):
        shown = next(m for m in someone.messages if first_area.questions[0].text in m.text)
        offer = await finish_area(someone, first_area, shown)
        await score_from(someone, offer, "🎯 Score this area", value)

    # Ana finishes the second area too and sees far lower than Maria: the widest spread.
    shown = next(m for m in ana.messages if second_area.questions[0].text in m.text)
    offer = await finish_area(ana, second_area, shown)
    await score_from(ana, offer, "🎯 Score this area", 10)

    with db.statements.measure() as reveal_cost:
        await maria.command("/scores", chat=group)
        reveal = await group.wait_for_message(contains="Scores of")
    reveal_count = reveal_cost.count
    text = reveal.text
    assert text.index(second_area.title) < text.index(first_area.title)
    assert "median 50 % · 10 %–90 % · spread 80 · 2 scores" in text
    assert "median 35 % · 30 %–65 % · spread 35 · 5 scores" in text
    assert "Ana 30 %" in text and "Maria 65 %" in text

    # Agreeing is for managers; the agreed score keeps the median and spread of that moment.
    await ben.command("/agree", "1 40 Deployed everywhere", chat=group)
    refusal = await group.wait_for_message(contains="Only a manager")
    assert refusal
    await maria.command("/agree", "1 42 Nope", chat=group)
    await group.wait_for_message(contains="steps of 5")
    await maria.command("/agree", "1 40 Deployed <everywhere>", chat=group)
    agreed = await group.wait_for_message(contains="Agreed score")
    assert "&lt;everywhere&gt;" not in agreed.text and "<everywhere>" in agreed.text
    assert "median 35 %, spread 35" in agreed.text
    (row,) = await stored(db, AgreedScore)
    assert (row.value, row.median_then, row.spread_then, row.scorers_then) == (40, 35.0, 35, 5)
    # /consensus shows the agreed score beside the maturity vote; /consensus N points to /agree.
    await ben.command("/consensus", chat=group)
    summary = await group.wait_for_message(contains="What Front desk")
    assert "📊 Agreed score: 40 % — Deployed <everywhere>" in summary.text
    assert "📊 Agreed score: not set yet" in summary.text  # the second area
    assert "/agree N SCORE reason" in summary.text
    await maria.command("/consensus", "2", chat=group)
    pointer = await group.wait_for_message(contains="agreed score too")
    assert "/agree 2 SCORE reason" in pointer.text
    # Once agreed, nobody's score of that area changes.
    await ana.command("/score")
    listing = await ana.wait_for_message(contains="Score an area")
    assert not any(first_area.title in label for label in listing.button_texts)

    with db.statements.measure() as gap_cost:
        await ben.command("/gap", chat=group)
        gap = await group.wait_for_message(contains="How managers and members")
    gap_count = gap_cost.count
    assert "members 30 %" in gap.text and "managers 62.5 %" in gap.text
    assert "gap +32.5 points" in gap.text
    # The second area: one member and one manager scored it, the threshold is two.
    assert "1 more member needs to score it · 1 more manager needs to score it" in gap.text
    # Members are refused the managers' private /gap.
    await ben.command("/gap")
    await ben.wait_for_message(contains="Only the team's managers")
    await maria.command("/gap")
    private_gap = await maria.wait_for_message(contains="How managers and members")
    assert "gap +32.5 points" in private_gap.text
    # The weekly digest names the widest gap.
    await maria.command("/digest")
    digest = await maria.wait_for_message(contains="Widest gap")
    assert first_area.title in digest.text and "(+32.5 points)" in digest.text
    # One statement reads every score: as many with six scores of five people as with none.
    assert reveal_count == empty_reveal_count
    assert gap_count == empty_gap_count


async def test_an_anonymous_team_sees_no_name_and_nothing_below_its_threshold(fake, bot, db):
    maria, _token, (ana,) = await team_with_members(fake, "Ana")
    group = await linked_group(fake, maria)
    group.join_silently(ana)
    await maria.command("/anonymous", "on", chat=group)
    await group.wait_for_message(contains="Comparisons are anonymous")
    first_area = AREAS[0]
    shown = next(m for m in ana.messages if first_area.questions[0].text in m.text)
    offer = await finish_area(ana, first_area, shown)
    await score_from(ana, offer, "🎯 Score this area", 30)
    await maria.command("/language", "team es")  # the group speaks the team's language
    await maria.wait_for_message(contains="es")

    await maria.command("/scores", chat=group)
    reveal = await group.wait_for_message(contains="Puntuaciones de")
    assert "🔒 1 puntuación por ahora; se muestran a partir de 3." in reveal.text
    assert "Ana" not in reveal.text and "30 %" not in reveal.text
    await maria.command("/agree", "1 35 Acordado", chat=group)
    agreed = await group.wait_for_message(contains="Puntuación acordada")
    assert "mediana" not in agreed.text  # one person's score would show through
    await maria.command("/gap", chat=group)
    gap = await group.wait_for_message(contains="Cómo puntúan")
    assert "falta que la puntúen 2 miembros más" in gap.text
