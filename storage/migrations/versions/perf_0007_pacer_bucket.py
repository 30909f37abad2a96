"""the pacer's buckets, shared by every process that sends with one bot token

Revision ID: perf_0007
Revises: 0006
Create Date: 2026-12-03 14:40:00

Telegram's limits are per bot token, whatever the number of processes. With PostgreSQL
and no Redis, the processes share their pacer's buckets as rows of ``pacer_bucket``
(scheduler/shared_limits.py). On PostgreSQL the table is UNLOGGED: it is rewritten many
times a second and nothing in it needs to survive a crash. SQLite gets the table too (the
schema is one), unused: there one process sends. PostgreSQL also gets ``pacer_take``, the
GCRA of ``scheduler.shared_limits.decide`` as one statement: a send's rows are locked only
while the database runs it, never while a busy client process is descheduled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "perf_0007"
down_revision: str | None = "0011_materials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "pacer_bucket",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tat", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
        prefixes=["UNLOGGED"] if postgres else [],
    )


    if postgres:
        op.execute(TAKE_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS pacer_take(text[], float8[], float8[], float8[], float8[], "
            "float8, float8)"
        )
    op.drop_table("pacer_bucket")


# keys (sorted or not), and per key its interval, tolerance, catch-up and slack (seconds);
# then the idle seconds and epsilon. Returns {1, 0, 0} (granted: every bucket took a
# token) or {0, wait, n} (nothing taken; bucket n, 1-based, said wait that many seconds).
TAKE_FUNCTION = """
CREATE OR REPLACE FUNCTION pacer_take(
    keys text[], intervals float8[], tolerances float8[], catch_ups float8[],
    slacks float8[], idle float8, epsilon float8
) RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
    n int := array_length(keys, 1);
    found int;
    now_ float8;
    tats float8[];
    tat float8;
    wait float8 := 0;
    blocked int := 0;
    late float8;
    fresh float8;
BEGIN
    SELECT count(*) INTO found FROM (
        SELECT 1 FROM pacer_bucket WHERE key = ANY(keys) ORDER BY key FOR UPDATE
    ) AS locked;
    IF found < n THEN
        INSERT INTO pacer_bucket (key, tat)
            SELECT k, NULL FROM unnest(keys) AS k ORDER BY k ON CONFLICT DO NOTHING;
        PERFORM 1 FROM pacer_bucket WHERE key = ANY(keys) ORDER BY key FOR UPDATE;
    END IF;
    now_ := extract(epoch FROM clock_timestamp());
    FOR i IN 1 .. n LOOP
        SELECT b.tat INTO tat FROM pacer_bucket AS b WHERE b.key = keys[i];
        tats[i] := tat;
        IF tat IS NOT NULL THEN
            late := tat - tolerances[i] - now_;
            IF late > wait THEN
                wait := late;
                blocked := i;
            END IF;
        END IF;
    END LOOP;
    IF wait > epsilon THEN
        RETURN ARRAY[0, wait, blocked]::float8[];
    END IF;
    FOR i IN 1 .. n LOOP
        tat := tats[i];
        IF tat IS NULL OR tat < now_ - idle THEN
            fresh := now_ + intervals[i] + slacks[i];
        ELSE
            fresh := greatest(tat, now_ - catch_ups[i]) + intervals[i];
        END IF;
        UPDATE pacer_bucket SET tat = fresh WHERE key = keys[i];
    END LOOP;
    RETURN ARRAY[1, 0, 0]::float8[];
END $$;
"""
