"""Which frameworks a person may choose, and the packs managers sent in the chat (their rows).

A pack is named by a key: a shipped or server pack by its id, an uploaded one by
"upload:<row id>" (criteria.upload). Uploaded packs are read from the database only when a key
is not yet in the registry's bounded memory (PackRegistry.remember): one statement the first
time an instance meets a pack, none afterwards, since a row never changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from criteria.loader import PackRegistry
from criteria.model import Pack
from criteria.upload import uploaded_key, uploaded_row_id
from criteria.validator import read_pack
from storage.models import Membership, Person, Role, Team, UploadedPack, UploadedPackTeam

# A person's uploads offered as choices: the newest few pack ids (each at its newest version).
CHOICES_MAX = 10


class StoreOutcome(StrEnum):
    NEW = "new"  # a new pack, or a new version of one
    SAME = "same"  # this exact version was sent before, word for word
    CHANGED = "changed"  # this version was sent before with other contents


@dataclass(frozen=True)
class PackChoice:
    key: str
    pack: Pack
    uploaded: bool


async def ensure_packs(session: AsyncSession, registry: PackRegistry, keys: Iterable[str]) -> None:
    """Make every uploaded pack among `keys` known to the registry (one statement if any is new)."""
    missing = {
        row_id
        for key in keys
        if key and not registry.remembers(key) and (row_id := uploaded_row_id(key)) is not None
    }
    if not missing:
        return
    rows = await session.execute(select(UploadedPack).where(UploadedPack.id.in_(missing)))
    for row in rows.scalars():
        registry.remember(uploaded_key(row.id), read_pack(row.source, row.pack_id))


async def pack_of(session: AsyncSession, registry: PackRegistry, key: str) -> Pack:
    await ensure_packs(session, registry, [key])
    return registry.get(key)


async def store_upload(
    session: AsyncSession, person: Person, pack: Pack, source: str
) -> tuple[UploadedPack, StoreOutcome]:
    """Keep the pack as the person's; an earlier row of the same id and version wins."""
    earlier = (
        await session.execute(
            select(UploadedPack).where(
                UploadedPack.uploaded_by == person.id,
                UploadedPack.pack_id == pack.id,
                UploadedPack.version == pack.version,
            )
        )
    ).scalar_one_or_none()
    if earlier is not None:
        same = earlier.source == source
        return earlier, StoreOutcome.SAME if same else StoreOutcome.CHANGED
    row = UploadedPack(
        pack_id=pack.id,
        version=pack.version,
        title=pack.title[:255],
        source=source,
        uploaded_by=person.id,
    )
    session.add(row)
    await session.flush()
    return row, StoreOutcome.NEW


async def uploads_of(session: AsyncSession, person_id: int) -> list[UploadedPack]:
    """What the person sent, newest first (one statement)."""
    rows = await session.execute(
        select(UploadedPack)
        .where(UploadedPack.uploaded_by == person_id)
        .order_by(UploadedPack.uploaded_at.desc(), UploadedPack.id.desc())
    )
    return list(rows.scalars())


async def choices_for(
    session: AsyncSession, registry: PackRegistry, person_id: int, team_id: int | None = None
) -> list[PackChoice]:
    """The shipped and server packs, then the person's own uploads and those of `team_id`,
    each pack id at its newest version (two statements at most)."""
    choices = [PackChoice(pack.id, pack, False) for pack in registry.all()]
    allowed = UploadedPack.uploaded_by == person_id
    if team_id is not None:
        of_team = select(UploadedPackTeam.pack_row_id).where(UploadedPackTeam.team_id == team_id)
        allowed = or_(allowed, UploadedPack.id.in_(of_team))
    rows = await session.execute(
        select(UploadedPack.id, UploadedPack.pack_id)
        .where(allowed)
        .order_by(UploadedPack.uploaded_at.desc(), UploadedPack.id.desc())
    )
    newest: dict[str, int] = {}
    for row_id, pack_id in rows.all():
        if pack_id not in newest and len(newest) < CHOICES_MAX:
            newest[pack_id] = row_id
    keys = [uploaded_key(row_id) for row_id in newest.values()]
    await ensure_packs(session, registry, keys)
    choices += [PackChoice(key, registry.get(key), True) for key in keys]
    return choices


async def may_use(
    session: AsyncSession, registry: PackRegistry, person_id: int, key: str, team_id: int
) -> Pack | None:
    """The pack if the person may use it for the team, else None (forged or foreign keys).

    Shipped and server packs: anyone. An uploaded one: its uploader, or a team it was given to.
    """
    row_id = uploaded_row_id(key)
    if row_id is None:
        return registry.get(key) if key in registry else None
    row = await session.get(UploadedPack, row_id)
    if row is None:
        return None
    if row.uploaded_by != person_id:
        link = (
            await session.execute(
                select(UploadedPackTeam.id).where(
                    UploadedPackTeam.pack_row_id == row_id, UploadedPackTeam.team_id == team_id
                )
            )
        ).first()
        if link is None:
            return None
    return await pack_of(session, registry, key)


async def give_to_team(session: AsyncSession, key: str, team_id: int) -> None:
    """The team may use this uploaded pack from now on, whoever sent it (no-op for others)."""
    row_id = uploaded_row_id(key)
    if row_id is None:
        return
    known = (
        await session.execute(
            select(UploadedPackTeam.id).where(
                UploadedPackTeam.pack_row_id == row_id, UploadedPackTeam.team_id == team_id
            )
        )
    ).first()
    if known is None:
        session.add(UploadedPackTeam(pack_row_id=row_id, team_id=team_id))
        await session.flush()


async def set_team_pack(session: AsyncSession, team: Team, key: str) -> None:
    """The team's next round is on this pack; an uploaded one becomes the team's to use."""
    await give_to_team(session, key, team.id)
    team.pack_id = key
    session.add(team)
    await session.flush()


async def managed_team(session: AsyncSession, person_id: int, team_id: int) -> Team | None:
    """The team if the person manages it (one statement)."""
    return (
        await session.execute(
            select(Team)
            .join(Membership, Membership.team_id == Team.id)
            .where(
                Team.id == team_id,
                Membership.person_id == person_id,
                Membership.role == Role.MANAGER,
            )
        )
    ).scalar_one_or_none()


async def forget_unused_uploads(session: AsyncSession, person_id: int) -> None:
    """Delete the person's uploads no team uses; the others stay with their teams."""
    used = select(UploadedPackTeam.pack_row_id)
    await session.execute(
        delete(UploadedPack).where(
            UploadedPack.uploaded_by == person_id, UploadedPack.id.not_in(used)
        )
    )
