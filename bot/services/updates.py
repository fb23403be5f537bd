"""The processed-update log: which Telegram update ids were handled, so a redelivery is a no-op."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate

# Built once: this runs for every update.
_RECORD_UPDATE = insert(ProcessedUpdate.__table__)


async def record_update(session: AsyncSession, update_id: int, now: datetime) -> None:
    """Note the update as handled; IntegrityError when it was handled before."""
    await session.execute(_RECORD_UPDATE, {"update_id": update_id, "processed_at": now})


async def forget_updates_before(session: AsyncSession, cutoff: datetime) -> None:
    """Drop the ids noted before `cutoff`, and commit."""
    await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff))
    await session.commit()
