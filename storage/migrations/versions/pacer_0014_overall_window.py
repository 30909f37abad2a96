"""the pacer's overall window, shared in PostgreSQL

Revision ID: pacer_0014
Revises: wa_0012_link
Create Date: 2026-12-04 14:40:00

Telegram (and the local Bot API server) counts the overall limit as "at most 30 in any
second", a sliding window, which a token bucket only approximates. ``pacer_take`` now
also holds that window (scheduler/shared_limits.py, ``decide``): the times of the last
``window_sends`` grants are as many rows of ``pacer_bucket`` (``<overall key>:window:<slot>``,
a grant's time in ``tat``); a send may go once the oldest of them is ``window_seconds``
old, and then overwrites it. The rows are only written while the overall bucket's row is
locked, so no new lock order. No table changes: the function gets two arguments.
"""

from collections.abc import Sequence

from alembic import context, op

revision: str = "pacer_0014"
down_revision: str | None = "inbox_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SIGNATURE = "pacer_take(text[], float8[], float8[], float8[], float8[], float8, float8)"
NEW_SIGNATURE = (
    "pacer_take(text[], float8[], float8[], float8[], float8[], float8, float8, int, float8)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {OLD_SIGNATURE}")
        op.execute(TAKE_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {NEW_SIGNATURE}")
        op.execute("DELETE FROM pacer_bucket WHERE key LIKE '%:window:%'")
        # the function as the revision that made it had it
        op.execute(context.script.get_revision("perf_0007").module.TAKE_FUNCTION)


# keys (the overall bucket's first), and per key its interval, tolerance, catch-up and
# slack (seconds); then the idle seconds, epsilon, and the overall window: at most
# ``window_sends`` grants (0: none) in any ``window_seconds``. Returns {1, 0, 0} (granted: every
# bucket and the window took the send) or {0, wait, n} (nothing taken; bucket n, 1-based,
# said wait that many seconds; the window counts as bucket 1).
TAKE_FUNCTION = """
CREATE OR REPLACE FUNCTION pacer_take(
    keys text[], intervals float8[], tolerances float8[], catch_ups float8[],
    slacks float8[], idle float8, epsilon float8, window_sends int, window_seconds float8
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
    slots text[];
    slot text;
    oldest float8;
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
    IF window_sends > 0 THEN
        -- the overall bucket's row (keys[1]) is locked: nobody else writes these rows now
        slots := ARRAY(
            SELECT keys[1] || ':window:' || s FROM generate_series(0, window_sends - 1) AS s
        );
        SELECT count(*) INTO found FROM pacer_bucket WHERE key = ANY(slots);
        IF found < window_sends THEN
            INSERT INTO pacer_bucket (key, tat)
                SELECT k, NULL FROM unnest(slots) AS k ON CONFLICT DO NOTHING;
        END IF;
        SELECT b.key, b.tat INTO slot, oldest FROM pacer_bucket AS b
            WHERE b.key = ANY(slots) ORDER BY b.tat ASC NULLS FIRST LIMIT 1;
        IF oldest IS NOT NULL THEN
            late := oldest + window_seconds - now_;
            IF late > wait THEN
                wait := late;
                blocked := 1;
            END IF;
        END IF;
    END IF;
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
    IF window_sends > 0 THEN
        -- an upsert: a slot deleted meanwhile (forget_idle) is written all the same
        INSERT INTO pacer_bucket (key, tat) VALUES (slot, now_)
            ON CONFLICT (key) DO UPDATE SET tat = excluded.tat;
    END IF;
    RETURN ARRAY[1, 0, 0]::float8[];
END $$;
"""
