"""the shared overall window's floor is the quickest round trip of the last minute or so

Revision ID: pacer_0016
Revises: pacer_0015
Create Date: 2026-12-05 02:00:00

A slow send counts at its answer less the margin and the floor (scheduler/pacing.py, the
module text). The floor was the least round trip of the window's slots: the sends kept,
which under stalls are the slow ones, and on a busy machine every one of them is slow, so
the floor rose with the load (to 22 ms, in test runs whose quickest round trip was under
6 ms) and a slow send counted that much too early: 11 arrivals in a half second that
allows 10.
Now it is ``pacing.FloorState``, as in Redis and the local pacer: the quickest round trip
of this period of ``floor_seconds`` (30 s, on the answers' times) and of the one before.
Three rows of ``pacer_bucket``: ``<overall key>:window:floor`` (this period's quickest),
``<overall key>:window:floor.before`` (the period before's) and ``<overall
key>:window:floor.period`` (which period), locked by ``pacer_answered`` after the slot's
rows (``pacer_take`` never locks them: no two calls wait in a circle). ``pacer_answered``
takes the period's length instead of the window's size; ``pacer_take`` is as pacer_0015
made it. No table changes.
"""

from collections.abc import Sequence

from alembic import context, op

revision: str = "pacer_0016"
down_revision: str | None = "pacer_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SIGNATURE = "pacer_answered(text, int, float8, float8, float8, int)"
NEW_SIGNATURE = "pacer_answered(text, int, float8, float8, float8, float8)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {OLD_SIGNATURE}")
        op.execute(ANSWERED_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {NEW_SIGNATURE}")
        op.execute(
            "DELETE FROM pacer_bucket WHERE key LIKE '%:window:floor' "
            "OR key LIKE '%:window:floor.before' OR key LIKE '%:window:floor.period'"
        )
        # the function as the revision that made it had it
        op.execute(context.script.get_revision("pacer_0015").module.ANSWERED_FUNCTION)


# The send ``pacer_take`` granted in ``slot`` of the window of ``overall`` (its key) at
# ``granted`` was answered ``trip`` seconds after it, at ``granted + trip``: the floor's
# state moves as ``pacing.FloorState.next`` (periods of ``floor_seconds``), and the send
# counts at max(granted, granted + trip - margin - floor), the floor being the least of
# this period's and the one before's. A slot that another send took meanwhile (this one
# was past the in-flight cap) is left alone; its round trip still moves the floor.
ANSWERED_FUNCTION = """
CREATE OR REPLACE FUNCTION pacer_answered(
    overall text, slot int, granted float8, trip float8, margin float8,
    floor_seconds float8
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    here text := overall || ':window:' || slot;
    floor_keys text[] := ARRAY[
        overall || ':window:floor', overall || ':window:floor.before',
        overall || ':window:floor.period'
    ];
    found int;
    kept boolean;
    answered float8;
    period_ float8;
    old_period_ float8;
    this_ float8;
    before_ float8;
BEGIN
    trip := greatest(trip, 0);
    answered := granted + trip;
    period_ := floor(answered / floor_seconds);
    PERFORM 1 FROM pacer_bucket
        WHERE key IN (here, here || '.granted', here || '.trip') ORDER BY key FOR UPDATE;
    kept := EXISTS (
        SELECT 1 FROM pacer_bucket AS b WHERE b.key = here || '.granted' AND b.tat = granted
    );
    SELECT count(*) INTO found FROM (
        SELECT 1 FROM pacer_bucket WHERE key = ANY(floor_keys) ORDER BY key FOR UPDATE
    ) AS locked;
    IF found < 3 THEN
        INSERT INTO pacer_bucket (key, tat)
            SELECT k, NULL FROM unnest(floor_keys) AS k ORDER BY k ON CONFLICT DO NOTHING;
        PERFORM 1 FROM pacer_bucket WHERE key = ANY(floor_keys) ORDER BY key FOR UPDATE;
    END IF;
    SELECT b.tat INTO this_ FROM pacer_bucket AS b WHERE b.key = floor_keys[1];
    SELECT b.tat INTO before_ FROM pacer_bucket AS b WHERE b.key = floor_keys[2];
    SELECT b.tat INTO old_period_ FROM pacer_bucket AS b WHERE b.key = floor_keys[3];
    IF this_ IS NULL OR before_ IS NULL OR old_period_ IS NULL OR period_ > old_period_ + 1 THEN
        this_ := trip;  -- nothing within the last period
        before_ := trip;
    ELSIF period_ = old_period_ + 1 THEN
        before_ := this_;
        this_ := trip;
    ELSIF period_ = old_period_ THEN
        this_ := least(this_, trip);
    ELSE  -- answered in an earlier period (out of order): lower is safe, never higher
        period_ := old_period_;
        before_ := least(before_, trip);
    END IF;
    UPDATE pacer_bucket AS b SET tat = v.tat
        FROM unnest(floor_keys, ARRAY[this_, before_, period_]) AS v(key, tat)
        WHERE b.key = v.key;
    IF kept THEN
        UPDATE pacer_bucket SET tat = trip WHERE key = here || '.trip';
        UPDATE pacer_bucket
            SET tat = greatest(granted, answered - margin - least(this_, before_))
            WHERE key = here;
    END IF;
END $$;
"""
