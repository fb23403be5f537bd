"""Pictures and export files are made in a worker process, so the bot never loads their libraries.

matplotlib, fpdf2, fontTools and openpyxl add about 60 MB to a process once imported, and
Python keeps what drawing a chart or laying out a PDF allocated: the bot would hold it for good
after its first export. The worker is a separate interpreter (spawned, so it shares nothing with
the bot's event loop), started on the first picture or export. It serves the calls that follow
one at a time and exits after IDLE_SECONDS without work, and its memory goes with it.

Calls name their function as "module:function", so the bot imports nothing of the drawing
code to make the call; arguments and results are plain data (pickled across).
"""

from __future__ import annotations

import importlib
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.core.i18n import current_language, use_language

IDLE_SECONDS = 60.0


def _call(language: str, target: str, args: tuple, kwargs: dict) -> Any:
    """In the worker: `target` in the language of whoever asked."""
    module_name, function_name = target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    with use_language(language):
        return function(*args, **kwargs)


class PictureWorker:
    """One worker process, started on demand and retired when idle; thread-safe."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._busy = 0
        self._retire_timer: threading.Timer | None = None

    def run(self, target: str, *args: Any, **kwargs: Any) -> Any:
        """Blocking (call it through asyncio.to_thread): `target(*args, **kwargs)` in the worker,
        in the caller's interface language."""
        language = current_language()
        with self._lock:
            if self._retire_timer is not None:
                self._retire_timer.cancel()
                self._retire_timer = None
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            pool = self._pool
            self._busy += 1
        try:
            return pool.submit(_call, language, target, args, kwargs).result()
        except BrokenProcessPool:
            # The worker died (killed, out of memory): the next call starts a new one.
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise
        finally:
            with self._lock:
                self._busy -= 1
                if self._busy == 0 and self._pool is pool:
                    self._retire_timer = threading.Timer(self.idle_seconds, self._retire, (pool,))
                    self._retire_timer.daemon = True
                    self._retire_timer.start()

    def _retire(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._busy or self._pool is not pool:
                return
            self._pool = None
            self._retire_timer = None
        pool.shutdown(wait=True)

    @property
    def running(self) -> bool:
        return self._pool is not None

    def shutdown(self) -> None:
        """Stop the worker now (the bot is stopping); a later call starts a new one."""
        with self._lock:
            pool, self._pool = self._pool, None
            if self._retire_timer is not None:
                self._retire_timer.cancel()
                self._retire_timer = None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# The bot's one worker: shared by exports, group charts and digests, stopped with the bot.
pictures = PictureWorker()
