"""The bot's clock: one seam for "what time is it" in every decision about time.

Reminders, digests, /away, round dates and invite expiry all read the clock the Application was
built with (`Runtime.clock`), never the system time directly, so a test or a replay can stand at
any moment it chooses. Record timestamps (when a row was written) stay on the system clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from storage.types import utcnow

Clock = Callable[[], datetime]
"""Returns the current instant, timezone-aware (UTC)."""

system_clock: Clock = utcnow
