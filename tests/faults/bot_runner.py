"""`buurbot run`, as a process the fault suites can kill: the production entry point
(`bot.cli.main(["run"])`: settings from BUURBOT_*, the Telegram runtime, the scheduler it
starts, signals) with three knobs turned for a test that must finish in seconds:

* the dispatcher's lease (production: 10 minutes) and the reaper's interval (60 s), so
  that rows a killed process left in SENDING come back within seconds of a restart;
* no quiet hours, so that an announcement is sent whatever the hour CI runs at;
* the overall pacing rate (production: 29 messages a second), so that a 2,000-recipient
  delivery takes seconds; per chat it stays 1 a second;
* the dispatcher's batch (production: 200 rows), so that several processes share a
  delivery of a few hundred rows (BUURBOT_FAULT_BATCH).

And one fault of its own: with BUURBOT_FAULT_HOLD_TEXT set, an update whose text is exactly
that stays in its transaction (after the engine recorded its update id, before the commit)
until the process is killed; its update id is written to BUURBOT_FAULT_HOLD_MARK first.
Arguments after the module name go to `buurbot run` (e.g. `--webhook --port 0`).

    BUURBOT_FAULT_LEASE_SECONDS=5 BUURBOT_FAULT_RATE=400 python -m tests.faults.bot_runner
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from datetime import time, timedelta
from pathlib import Path


def main() -> int:

    from bot.cli import main as buurbot
    from bot.core.config import Settings
    from bot.core.delivery import TELEGRAM_LIMITS, scaled_limits
    from bot.core.policy import Policy, SchedulerPolicy
    from scheduler.pacing import Pacer
    from scheduler.timing import QuietHours

    lease = float(os.environ.get("BUURBOT_FAULT_LEASE_SECONDS", "5"))
    reap = float(os.environ.get("BUURBOT_FAULT_REAP_SECONDS", "1"))
    sweep = float(os.environ.get("BUURBOT_FAULT_SWEEP_SECONDS", "0.5"))
    rate = float(os.environ.get("BUURBOT_FAULT_RATE", str(TELEGRAM_LIMITS.global_per_second)))
    batch = int(os.environ.get("BUURBOT_FAULT_BATCH", "200"))
    # The policy the settings give, with the knobs turned (see above).
    policy = Policy.from_settings(Settings())
    policy = replace(
        policy,
        timings=replace(policy.timings, quiet_hours=QuietHours(time(0), time(0))),
        scheduler=SchedulerPolicy(
            sweep_seconds=sweep,
            reap_seconds=reap,
            lease=timedelta(seconds=lease),
            batch_size=batch,
        ),
    )
    if rate == TELEGRAM_LIMITS.global_per_second:
        pacer = Pacer(TELEGRAM_LIMITS)  # production's, as it is
    else:
        # The overall window scaled with the rate: Telegram's 30 in any 1.02 s would hold a
        # fast server's batch longer than its lease.
        pacer = Pacer(scaled_limits(rate))
    hold = os.environ.get("BUURBOT_FAULT_HOLD_TEXT")
    if hold:
        hold_open(hold, Path(os.environ["BUURBOT_FAULT_HOLD_MARK"]))
    return buurbot(["run", *sys.argv[1:]], policy=policy, pacer=pacer)


def hold_open(text: str, mark: Path) -> None:
    """Updates with exactly this text never leave their transaction."""
    from bot.core.engine import Engine
    from bot.core.seam import Text

    dispatch = Engine._dispatch

    async def holding(self, ctx):  # type: ignore[no-untyped-def]
        if ctx.incoming.event == Text(text):
            mark.write_text(str(ctx.incoming.update_id))  # noqa: ASYNC240 - once, tiny
            await asyncio.Event().wait()  # until kill -9
        await dispatch(self, ctx)

    Engine._dispatch = holding  # type: ignore[method-assign]


if __name__ == "__main__":
    sys.exit(main())
