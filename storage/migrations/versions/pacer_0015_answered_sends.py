"""the shared overall window counts each send when it can have reached Telegram

Revision ID: pacer_0015
Revises: pacer_0014
Create Date: 2026-12-04 20:00:00

The overall window held the grants' times; a request that reached Telegram more than the
window's margin after its grant (a process stalled in between) could land beside the next
second's 30. Now each send counts at its effective time (scheduler/pacing.py, the module
text): its grant while it was quick, its answer less the margin and the quickest round trip
when it was slow, and a send in flight holds the window until it is answered (or the
in-flight cap). ``pacer_take`` keeps the window's ``window_sends`` slot rows (``<overall
key>:window:<slot>``, the time the send counts at, in ``tat``), with two rows beside each:
``<slot row>.granted`` (the grant's time, which names the send) and ``<slot row>.trip``
(its round trip, NULL in flight); the send over the window replaces the slot that counts
earliest, and says which slot it took. ``pacer_answered`` writes a send's round trip and
its effective time. No table changes (rows of ``pacer_bucket`` as before); the slot rows are written only while
the overall bucket's row is locked (a take) or by their own lock (an answer).
"""

from collections.abc import Sequence

from alembic import context, op

revision: str = "pacer_0015"
down_revision: str | None = "pacer_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SIGNATURE = (
    "pacer_take(text[], float8[], float8[], float8[], float8[], float8, float8, int, float8)"
)
NEW_SIGNATURE = (
    "pacer_take(text[], float8[], float8[], float8[], float8[], float8, float8, int, float8, "
    "float8, float8)"
)
ANSWERED_SIGNATURE = "pacer_answered(text, int, float8, float8, float8, int)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {OLD_SIGNATURE}")
        op.execute(TAKE_FUNCTION)
        op.execute(ANSWERED_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {ANSWERED_SIGNATURE}")
        op.execute(f"DROP FUNCTION IF EXISTS {NEW_SIGNATURE}")
        op.execute(
            "DELETE FROM pacer_bucket WHERE key LIKE '%:window:%.granted' "
            "OR key LIKE '%:window:%.trip'"
        )
        # the function as the revision that made it had it
        op.execute(context.script.get_revision("pacer_0014").module.TAKE_FUNCTION)


# keys (the overall bucket's first), and per key its interval, tolerance, catch-up and
# slack (seconds); then the idle seconds, epsilon, the overall window (at most
# ``window_sends``, 0: none, in any ``window_seconds``), the in-flight cap and poll.
# Returns {1, slot, granted} (granted: every bucket and the window took the send; the slot
# and the grant's time name it for ``pacer_answered``) or {0, wait, n} (nothing taken;
# bucket n, 1-based, said wait that many seconds; the window counts as bucket 1).
TAKE_FUNCTION = """
CREATE OR REPLACE FUNCTION pacer_take(
    keys text[], intervals float8[], tolerances float8[], catch_ups float8[],
    slacks float8[], idle float8, epsilon float8, window_sends int, window_seconds float8,
    cap float8, poll float8
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
    prefix text;
    slots text[];
    slot text;
    lowest float8;
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
        -- the overall bucket's row (keys[1]) is locked: no other take writes these rows now
        prefix := keys[1] || ':window:';
        slots := ARRAY(SELECT prefix || s FROM generate_series(0, window_sends - 1) AS s);
        SELECT count(*) INTO found FROM pacer_bucket WHERE key = ANY(slots);
        IF found < window_sends THEN
            INSERT INTO pacer_bucket (key, tat)
                SELECT k, NULL FROM unnest(slots) AS k ON CONFLICT DO NOTHING;
        END IF;
        SELECT b.key, b.tat INTO slot, lowest FROM pacer_bucket AS b
            WHERE b.key = ANY(slots) ORDER BY b.tat ASC NULLS FIRST LIMIT 1;
        IF lowest IS NOT NULL THEN
            late := lowest + window_seconds - now_;
            IF late > poll AND EXISTS (
                SELECT 1 FROM pacer_bucket AS b WHERE b.key = slot || '.trip' AND b.tat IS NULL
            ) THEN
                late := poll;  -- a send in flight: its answer may come any moment
            END IF;
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
        -- upserts, in key order (pacer_answered locks them so): the send in flight
        INSERT INTO pacer_bucket (key, tat) VALUES
            (slot, now_ + cap - window_seconds),
            (slot || '.granted', now_),
            (slot || '.trip', NULL)
            ON CONFLICT (key) DO UPDATE SET tat = excluded.tat;
        RETURN ARRAY[1, substr(slot, length(prefix) + 1)::int, now_]::float8[];
    END IF;
    RETURN ARRAY[1, 0, 0]::float8[];
END $$;
"""

# The send ``pacer_take`` granted in ``slot`` of the window of ``overall`` (its key) at
# ``granted`` was answered ``trip`` seconds after it: its round trip is written, and it
# counts at max(granted, granted + trip - margin - floor), floor the least round trip
# of the window's slots (this one's included). A slot that another send took meanwhile
# (this one was past the in-flight cap) is left alone.
ANSWERED_FUNCTION = """
CREATE OR REPLACE FUNCTION pacer_answered(
    overall text, slot int, granted float8, trip float8, margin float8, window_sends int
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    prefix text := overall || ':window:';
    here text := prefix || slot;
    floor_ float8;
BEGIN
    PERFORM 1 FROM pacer_bucket
        WHERE key IN (here, here || '.granted', here || '.trip') ORDER BY key FOR UPDATE;
    IF NOT EXISTS (
        SELECT 1 FROM pacer_bucket AS b WHERE b.key = here || '.granted' AND b.tat = granted
    ) THEN
        RETURN;
    END IF;
    trip := greatest(trip, 0);
    UPDATE pacer_bucket SET tat = trip WHERE key = here || '.trip';
    SELECT min(b.tat) INTO floor_ FROM pacer_bucket AS b WHERE b.key = ANY(
        ARRAY(SELECT prefix || s || '.trip' FROM generate_series(0, window_sends - 1) AS s)
    );
    UPDATE pacer_bucket SET tat = greatest(granted, granted + trip - margin - floor_)
        WHERE key = here;
END $$;
"""
