"""Handled update ids: a redelivery within the window is handled once (and an operator
sees it in the log), an id seen only before the window is a new update (Telegram starts
its ids afresh after a week without updates), and the daily job prunes the old ids."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core.delivery import Delivery
from bot.runtimes.recording import RecordingSender
from scheduler.clock import Scheduler
from storage.models import ProcessedUpdate
from storage.queries import UPDATE_ID_WINDOW
from tests.support.driver import Driver, Talker


async def started(driver: Driver) -> Talker:
    anna = driver.person("Anna", "nl")
    await anna.command("start")
    return anna


async def stored_ids(driver: Driver) -> list[int]:
    async with driver.services.db.transaction() as session:
        query = select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id)
        return list((await session.execute(query)).scalars().all())


async def test_a_redelivery_within_the_window_is_handled_once_and_logged(
    db_driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    anna = await started(db_driver)
    await anna.send("Anna", update_id=9_424_242)
    assert "Dank je, Anna." in anna.last  # the name was taken: onboarding is done
    before = len(anna.messages)
    db_driver.services.clock.advance(UPDATE_ID_WINDOW - timedelta(minutes=1))  # type: ignore[attr-defined]
    with caplog.at_level(logging.INFO, logger="bot.core.engine"):
        await anna.send("Anna", update_id=9_424_242)
    assert len(anna.messages) == before
    repeated = [r for r in caplog.records if "9424242" in r.getMessage()]
    assert [r.levelno for r in repeated] == [logging.WARNING]
    assert "Anna" not in repeated[0].getMessage()  # no user content in the log
    assert str(anna.who.id) not in repeated[0].getMessage()


async def test_an_id_seen_only_before_the_window_is_a_new_update(db_driver: Driver) -> None:
    anna = await started(db_driver)
    await anna.send("Anna", update_id=9_031_337)
    db_driver.services.clock.advance(timedelta(days=8))  # type: ignore[attr-defined]
    before = len(anna.messages)
    # Telegram restarted its sequence: the same number is now another update.
    await anna.send("Hulp", update_id=9_031_337)
    assert len(anna.messages) == before + 1
    assert "/menu – het hoofdmenu" in anna.last  # the help, not the name again
    # And that new one is deduplicated in its turn.
    await anna.send("Hulp", update_id=9_031_337)
    assert len(anna.messages) == before + 1
    assert (await stored_ids(db_driver)).count(9_031_337) == 1


async def test_the_daily_job_prunes_ids_past_the_window(db_driver: Driver) -> None:
    anna = await started(db_driver)
    clock = db_driver.services.clock
    await anna.send("Anna", update_id=9_000_100)
    clock.advance(UPDATE_ID_WINDOW + timedelta(hours=1))  # type: ignore[attr-defined]
    await anna.send("1234 AB", update_id=9_000_200)
    scheduler = Scheduler(db_driver.services, Delivery(db_driver.services, RecordingSender()))
    prune = next(cron for cron in scheduler.crons if cron.name == "prune-update-ids")
    kept = await stored_ids(db_driver)
    assert 9_000_100 in kept and 9_000_200 in kept
    assert await prune.run(clock.now()) >= 1
    kept = await stored_ids(db_driver)
    assert 9_000_100 not in kept and 9_000_200 in kept
    local = prune.trigger.get_next_fire_time(None, clock.now()).astimezone(scheduler.tz)
    assert (local.hour, local.minute) == (4, 30)
