"""PostgreSQL: storing received updates (the chat's lock, then each INSERT) in one call

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:15:00.000000

bot/services/inbox.py calls inbox_store_claimed in a statement of its own (autocommit): one round
trip to the server instead of four (BEGIN, the chats' advisory locks, the INSERT, COMMIT). A
VOLATILE function's statements each see what was committed before they started, so the INSERT's
look at the chat, made after the lock is taken, sees what the lock's previous holder committed:
what the separate statements guaranteed. SQLite (one instance) needs no such thing.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep in step with bot/services/inbox.py's _store_claimed_statement (the SQLite path): an update
# is stored claimed for new_holder when nothing of its chat waits that another holds or nobody
# holds; a redelivered update id is left as it is. Returns the update ids stored claimed.
STORE_CLAIMED = """
CREATE FUNCTION inbox_store_claimed(
    new_update_ids bigint[],
    new_chat_keys bigint[],
    new_payloads text[],
    new_received_at timestamptz,
    new_holder varchar,
    new_until timestamptz
) RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    lock_key bigint;
    stored_by varchar;
BEGIN
    -- In one order everywhere: two stores never wait on each other in a cycle.
    FOR lock_key IN
        SELECT DISTINCT key FROM unnest(new_chat_keys) AS key WHERE key IS NOT NULL ORDER BY key
    LOOP
        PERFORM pg_advisory_xact_lock(lock_key);
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(new_update_ids, 1), 0) LOOP
        stored_by := NULL;
        INSERT INTO inbox_update
            (update_id, chat_key, payload, received_at, claimed_by, claimed_until)
        SELECT new_update_ids[i], new_chat_keys[i], new_payloads[i], new_received_at,
               CASE WHEN chat.free THEN new_holder END, CASE WHEN chat.free THEN new_until END
        FROM (
            SELECT new_chat_keys[i] IS NULL OR NOT EXISTS (
                SELECT 1 FROM inbox_update AS other
                WHERE other.chat_key = new_chat_keys[i]
                  AND other.dead_at IS NULL
                  AND (other.claimed_by IS NULL OR other.claimed_by <> new_holder)
            ) AS free
        ) AS chat
        ON CONFLICT (update_id) DO NOTHING
        RETURNING claimed_by INTO stored_by;
        IF stored_by = new_holder THEN
            RETURN NEXT new_update_ids[i];
        END IF;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(STORE_CLAIMED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION inbox_store_claimed(bigint[], bigint[], text[], timestamptz, "
            "varchar, timestamptz)"
        )
