"""The worker process that draws pictures and builds export files (bot/export/worker.py)."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.i18n import use_language
from bot.export.worker import PictureWorker


async def test_the_worker_draws_in_the_callers_language_and_leaves_when_idle():
    worker = PictureWorker(idle_seconds=0.2)
    try:
        with use_language("es"):
            assert await asyncio.to_thread(worker.run, "bot.core.i18n:current_language") == "es"
        png = await asyncio.to_thread(
            worker.run, "bot.export.charts:heatmap_png", ["Ana"], ["Leadership"], [[0.5]]
        )
        assert png.startswith(b"\x89PNG")
        assert worker.running
        for _ in range(200):  # retired once idle; a later call starts a new one
            if not worker.running:
                break
            await asyncio.sleep(0.05)
        assert not worker.running
        assert await asyncio.to_thread(worker.run, "bot.core.i18n:current_language") == "en"
    finally:
        worker.shutdown()


async def test_an_error_in_the_worker_reaches_the_caller():
    worker = PictureWorker()
    try:
        with pytest.raises(TypeError, match="missing"):
            await asyncio.to_thread(worker.run, "bot.core.i18n:resolve_language", "es")
    finally:
        worker.shutdown()
