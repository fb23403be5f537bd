"""/score in a pack scored per ADLI dimension: four two-tap scores, then the summary; ❓ explains
the bands; stale and forged buttons are refused. End to end on SQLite and PostgreSQL."""

from __future__ import annotations

import yaml
from sqlalchemy import update

from bot.core.callbacks import score_data
from bot.private.score_view import band_button
from storage.models import AssessmentRound, Score, Team
from tests.support.botrunner import running_bot
from tests.support.flows import start_team
from tests.support.groups import alert_for, alerts_of, stored

QUESTION = "How do you plan the week?"


def adli_pack() -> dict:
    return {
        "id": "adli-pack",
        "version": "1.0",
        "title": "ADLI",
        "language": "en",
        "scoring": {"mode": "adli", "areas": ["planning"]},
        "categories": [
            {
                "id": "cat",
                "title": "Category",
                "areas": [
                    {
                        "id": "planning",
                        "title": "Planning & <review>",
                        "questions": [{"id": "q-1", "text": QUESTION}],
                    },
                    {"id": "other", "title": "Other", "questions": [{"id": "q-2", "text": "Hm?"}]},
                ],
            }
        ],
    }


async def test_adli_scores_take_four_dimensions_and_forged_buttons_are_refused(fake, db, tmp_path):
    (tmp_path / "adli.yaml").write_text(yaml.safe_dump(adli_pack()))
    async with running_bot(fake, db.url, criteria_dir=tmp_path):
        maria, _token = await start_team(fake)
        async with db.sessions() as session:
            await session.execute(update(Team).values(pack_id="adli-pack"))
            await session.execute(update(AssessmentRound).values(pack_id="adli-pack"))
            await session.commit()
        (round_,) = await stored(db, AssessmentRound)
        await maria.command("/score")
        await maria.wait_for_message(contains="No area to score yet")
        await maria.command("/next")
        question = await maria.wait_for_message(contains=QUESTION)
        await maria.press(question, "🙅 Not my area")
        offer = await maria.wait_for_message(contains="You finished")
        assert "Planning & <review>" in offer.text  # escaped for HTML, shown as typed
        await maria.press(offer, "🎯 Score this area")
        bands = await maria.wait_for_message(contains="Which band")
        assert "Approach (1/4)" in bands.text

        await maria.press(bands, "❓ What the bands mean")
        legend = await maria.wait_for_message(contains="The scoring bands")
        assert "90–100 %" in legend.text and "Integration:" in legend.text

        before = alerts_of(maria)
        await maria.press_data(bands, score_data("set", round_.id, 1, 4, 50))  # no 5th dimension
        assert await alert_for(fake, maria, before) == "This button is no longer valid."
        await maria.press_data(bands, score_data("set", round_.id + 1, 1, 0, 50))  # another round
        assert await alert_for(fake, maria, before + 1) == "This belongs to an earlier round."
        await maria.press_data(bands, score_data("band", round_.id, 1, 0, 6))  # no 7th band
        assert await alert_for(fake, maria, before + 2) == "That is not a score on the scale."
        await maria.press_data(bands, score_data("area", round_.id, 2))  # not a scored area
        assert await alert_for(fake, maria, before + 3) == "This button is no longer valid."

        # ⬅️ goes back from the scores inside a band to the bands, of the same dimension.
        await maria.press(bands, band_button(5))
        await maria.wait_for_edit(bands)
        assert "Where inside it?" in bands.text and "90 %" in bands.button_texts
        await maria.press(bands, "⬅️ Back to the bands")
        await maria.wait_for_edit(bands)
        assert "Which band" in bands.text and "Approach (1/4)" in bands.text

        for index, (band, value) in enumerate(((2, 40), (1, 25), (2, 30), (1, 20))):
            await maria.press(bands, band_button(band))
            await maria.wait_for_edit(bands)
            assert "Where inside it?" in bands.text
            await maria.press(bands, f"{value} %")
            await maria.wait_for_edit(bands)
            if index < 3:
                assert f"({index + 2}/4)" in bands.text
        # Nothing counts before the summary is confirmed.
        assert "not saved yet" in bands.text and "Overall: 30 %" in bands.text
        assert "Approach: 40 %" in bands.text and "Integration: 20 %" in bands.text
        assert await stored(db, Score) == []
        before = alerts_of(maria)
        forged = score_data("ok", round_.id, 1, 3, 20, (40, 25, 105))  # off the scale
        await maria.press_data(bands, forged)
        assert await alert_for(fake, maria, before) == "That is not a score on the scale."
        await maria.press_data(bands, score_data("ok", round_.id, 1, 3, 20, (40,)))  # too few
        assert await alert_for(fake, maria, before + 1) == "This button is no longer valid."
        assert await stored(db, Score) == []

        # ✏️ starts over from the first dimension; the second pass is confirmed.
        await maria.press(bands, "✏️ Change")
        await maria.wait_for_edit(bands)
        assert "Approach (1/4)" in bands.text
        for band, value in ((2, 40), (1, 25), (2, 30), (1, 20)):
            await maria.press(bands, band_button(band))
            await maria.wait_for_edit(bands)
            await maria.press(bands, f"{value} %")
            await maria.wait_for_edit(bands)
        await maria.press(bands, "✅ Confirm")
        await maria.wait_for_edit(bands)
        assert "Your score for" in bands.text and "30 %" in bands.text  # the mean, 28.75 -> 30
        assert "Approach: 40 %" in bands.text and "Integration: 20 %" in bands.text
        scores = await stored(db, Score)
        assert sorted((s.dimension, s.value) for s in scores) == [
            ("approach", 40),
            ("deployment", 25),
            ("integration", 20),
            ("learning", 30),
        ]
        assert all(s.as_manager for s in scores)
