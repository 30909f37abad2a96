"""WhatsApp end to end: the real runtime (`run_whatsapp`: pywa's client, the aiohttp
webhook, the engine, the scheduler) against the local WhatsApp Cloud API server, over HTTP,
on a test clock both share.

- the whole journey of tests/journeys/idea_to_bestendigen.txt, in Dutch and in English,
  tapping buttons and list rows by the labels the script names (their short forms where
  WhatsApp's 20/24 characters need them; no catalog label is ever cut);
- a forged or unsigned webhook is refused (401/403) and nothing of it is handled;
- a webhook delivered again is handled once;
- a reminder outside the 24-hour window goes as the approved template;
- a reply that WhatsApp fails with 131047 is held and arrives when the person writes again.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlmodel import select

from bot.core.adapt import fit_label, plain
from bot.core.config import Settings
from bot.core.labels import short_label
from bot.core.services import Services
from bot.core.templates import catalogue_entries
from bot.i18n import texts_for
from bot.i18n.catalogs import load
from bot.runtimes.whatsapp import RunningWhatsApp, run_whatsapp
from local_whatsapp_api import LocalWhatsAppApi
from local_whatsapp_api import Person as WaPerson
from scheduler.dispatch import Dispatcher
from scheduler.pacing import Limits, Pacer
from scheduler.timing import FakeClock
from storage.models import Action, ActionStatus, Initiative, NetworkIdentity, Phase, Resident
from tests.conftest import make_services
from tests.support.both_networks import both_networks
from tests.support.journey import START, Labels, read_steps, repeatable_tokens

VERIFY = "verify-e2e-token"
PHASE_LINES = {
    "nl": ["Activeren (fase 2 van 5)", "Bestendigen (fase 5 van 5)"],
    "en": ["Activate (phase 2 of 5)", "Sustain (phase 5 of 5)"],
}
# Country codes: the bot speaks Dutch to +31 and English to +44 until they choose
# (bot.i18n.language_of_number).
PREFIX = {"nl": "316", "en": "447"}


@dataclass
class WaBot:
    server: LocalWhatsAppApi
    running: RunningWhatsApp
    clock: FakeClock
    services: Services
    people: dict[str, WaPerson] = field(default_factory=dict)

    def person(self, name: str, lang: str) -> WaPerson:
        if name not in self.people:
            number = f"{PREFIX[lang]}{len(self.people) + 1:08d}"
            self.people[name] = self.server.person(name, wa_id=number, language=lang)
        return self.people[name]

    async def settle(self) -> None:
        """Every webhook answered (each only after its replies went out), statuses too."""
        await self.server.webhooks_idle(timeout=15)

    async def sweep(self) -> None:
        """What is due goes out; and what that made due (a "news" template) too."""
        dispatcher = Dispatcher(self.services, self.running.core.delivery)
        for _ in range(3):
            report = await dispatcher.sweep()
            await self.settle()
            if not report.claimed:
                break


@pytest.fixture
async def wa(tmp_path: Path) -> AsyncIterator[WaBot]:
    clock = FakeClock(START)
    async with LocalWhatsAppApi(clock=clock) as server:
        settings = Settings(  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'wa.db'}",
            whatsapp_token=server.token,
            whatsapp_phone_number_id=server.phone_number_id,
            whatsapp_app_secret=server.app_secret,
            whatsapp_verify_token=VERIFY,
            whatsapp_api_base=server.base_url,
            whatsapp_number=server.display_phone_number,
            whatsapp_approved_templates="buurbot_reminder,buurbot_update",
            flood_max_updates=10_000,
            _env_file=None,
        )
        services = make_services(settings.database_url, clock, flood_max_updates=10_000)
        services.settings = settings
        # The journey's people tap faster than anyone reads: no pacing to wait for here.
        services.pacer = Pacer(Limits(1000.0, 1000, 1000.0, 1000, 1000.0, 1000))
        server.add_templates(
            [{k: v for k, v in entry.items() if k != "examples"} for entry in catalogue_entries()]
        )
        stop = asyncio.Event()
        ready: asyncio.Future[RunningWhatsApp] = asyncio.get_running_loop().create_future()
        args = argparse.Namespace(host="127.0.0.1", port=0)
        task = asyncio.create_task(
            run_whatsapp(settings, args, services=services, stop=stop, ready=ready)
        )
        await asyncio.wait({task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            pytest.fail(f"the WhatsApp bot did not start: {task.result() if task.done() else ''}")
        running = ready.result()
        assert (await server.subscribe(running.webhook_url, VERIFY)).ok
        yield WaBot(server, running, clock, services)
        stop.set()
        assert await asyncio.wait_for(task, 15) == 0
        await services.db.close()
        assert [str(call) for call in server.rejected] == []


# --- the journey --------------------------------------------------------------------------------


def _shown_as(label: str) -> set[str]:
    return {
        label,
        fit_label(label, 20, short_label)[0],
        fit_label(label, 24, short_label)[0],
    }


async def tap(wa: WaBot, who: WaPerson, label: str) -> None:
    """Tap `label` as WhatsApp shows it: a reply button or a list row on any message,
    paging on with "More…" when the newest list has it further down; first "Show me" on
    the "news" template, when what they need waited for the window."""
    titles = _shown_as(label)
    if who.messages and who.messages[-1].template == "buurbot_update":
        # There is news: they tap "Show me" first, and what waited for them arrives.
        await who.press(who.messages[-1].buttons[0].title)
        await wa.settle()
        await wa.sweep()
    for _ in range(5):
        for message in reversed(who.messages):
            for button in message.buttons:
                if button.title in titles:
                    await who.press(button.title)
                    return
            for row in message.rows:
                if row.title in titles or row.description == label:
                    await who.choose(row.title)
                    return
        newest = who.messages[-1]
        more = [row for row in newest.rows if row.id.startswith("~more:")]
        if more:
            await who.choose(more[0].title)
            await wa.settle()
        else:
            break
    raise AssertionError(
        f"{who.name} sees no {label!r}; last: "
        f"{[(m.text[:60], m.labels, [(r.title, r.id) for r in m.rows]) for m in who.messages[-8:]]}"
    )


async def run_whatsapp_journey(wa: WaBot, lang: str) -> str:
    labels = Labels() if lang == "en" else None
    who: WaPerson | None = None
    import os
    import time as _t

    trace = os.environ.get("WA_TRACE")
    for step in read_steps():
        if trace:
            print(f"{_t.monotonic():.2f} {step}", flush=True)
        kind, _, arg = step.partition(" ")
        if kind == "@":
            who = wa.person(arg.split()[0], lang)
            continue
        assert who is not None
        if kind == "say":
            await who.send(arg)
        elif kind == "cmd":
            await who.send(f"/{arg}")
        elif kind == "press":
            await tap(wa, who, labels.english(arg) if labels else arg)
        elif kind == "startlink":
            link = next(
                m.text for m in reversed(wa.people[arg].messages) if "?text=join-" in (m.text or "")
            )
            code = unquote(re.search(r"wa\.me/\d+\?text=(join-[A-Za-z0-9_%-]+)", link).group(1))
            await who.send(code)
        elif kind == "advance":
            wa.clock.advance(timedelta(hours=float(arg)))
            await wa.sweep()
            continue
        await wa.settle()
    return "\n".join(m.text or "" for p in wa.people.values() for m in p.messages)


def catalog_labels(lang: str) -> set[str]:
    """Every text of the catalog without placeholders, as a label shows it."""
    texts = texts_for(lang)
    return {
        plain(texts._(message.id))
        for message in load(lang)
        if isinstance(message.id, str) and message.id and "{" not in message.id
    }


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_whole_journey_on_whatsapp(wa: WaBot, lang: str) -> None:
    with repeatable_tokens():
        text = await run_whatsapp_journey(wa, lang)
    for line in PHASE_LINES[lang]:
        assert line in text, f"never reached: {line}"
    async with wa.services.db.transaction() as session:
        initiative = (await session.execute(select(Initiative))).scalar_one()
        actions = (await session.execute(select(Action).order_by(Action.starts_at))).scalars().all()
    assert initiative.phase is Phase.SUSTAIN
    assert [a.status for a in actions] == [
        ActionStatus.HELD,
        ActionStatus.HELD,
        ActionStatus.PLANNED,
    ]
    # Every catalog label fitted WhatsApp's 20/24 characters whole or by its short form.
    # Every catalog text used as a label fitted WhatsApp's 20/24 characters, whole or by its
    # short form (bot/core/labels.py); only labels holding a title someone typed or a kit's
    # name are cut, with the whole label in the row's description.
    cut = set(wa.running.sender.cut_labels)
    assert sorted(cut & catalog_labels(lang)) == [], "\n".join(sorted(cut))
    # Reminders outside the 24-hour window went as the approved template.
    reminders = [c for c in wa.server.calls_to(type="template", ok=True)]
    assert any(c.payload["template"]["name"] == "buurbot_reminder" for c in reminders)
    # Nothing with HTML reached anyone.
    assert not re.search(r"</?(b|i|a|code)>", text)


# --- the webhook's guards -----------------------------------------------------------------------


async def test_forged_unsigned_and_redelivered_webhooks(wa: WaBot) -> None:
    anna = wa.person("Anna", "nl")
    forged = anna.message_event("/start")
    unsigned = await wa.server.post_to_webhook(forged, signature=None)
    wrong = await wa.server.post_to_webhook(forged, secret="not-the-app-secret")
    assert (unsigned.status, wrong.status) == (401, 403)
    assert wa.running.receiver.received == 0 and anna.messages == []
    async with wa.services.db.transaction() as session:
        assert (await session.execute(select(Resident))).first() is None
    # The subscription check answers only the right verify token.
    assert not (await wa.server.verify_webhook("guessed")).ok
    assert (await wa.server.verify_webhook(VERIFY)).ok

    await anna.send("/start")
    await wa.settle()
    seen = len(anna.messages)
    assert seen >= 1 and wa.running.receiver.received == 1
    message = next(d for d in wa.server.deliveries if d.kind == "message")
    await wa.server.redeliver(message)
    await wa.settle()
    assert len(anna.messages) == seen  # the same message again: handled once
    async with wa.services.db.transaction() as session:
        assert len((await session.execute(select(Resident))).all()) == 1


async def test_a_reply_that_finds_the_window_closed_is_held_not_lost(wa: WaBot) -> None:
    anna = wa.person("Anna", "nl")
    await anna.send("/start")
    await wa.settle()
    # WhatsApp accepts the next message, then reports 131047 (the window closed meanwhile).
    wa.server.faults.arm("131047", to=anna.wa_id)
    await anna.send("Anna")
    await wa.settle()
    assert [m.error_code for m in anna.failed] == [131047]
    lost = anna.failed[0].text
    await wa.sweep()
    assert anna.messages[-1].template == "buurbot_update"  # "there is news", as a template
    await anna.press(anna.messages[-1].buttons[0].title)  # "Laat zien": the window opens
    await wa.settle()
    await wa.sweep()
    assert lost in [m.text for m in anna.messages], "the held reply never arrived"


async def test_a_share_card_for_the_street_group_invites_by_a_typed_code(wa: WaBot) -> None:
    """From the invitation screen, "Deel in de groepsapp": a card and a wa.me link whose
    join link opens the chat with the code typed; sending it is the invitation."""
    with repeatable_tokens():
        steps = read_steps()
        end = steps.index("@ Bert nl")
        anna = wa.person("Anna", "nl")
        for step in steps[1:end]:
            kind, _, arg = step.partition(" ")
            if kind == "say":
                await anna.send(arg)
            elif kind == "cmd":
                await anna.send(f"/{arg}")
            else:
                await tap(wa, anna, arg)
            await wa.settle()
    await tap(wa, anna, "Deel in de groepsapp")
    await wa.settle()
    card = anna.messages[-1].text or ""
    share = re.search(r"https://wa\.me/\?text=(\S+)", card)
    assert share is not None, card
    shared = unquote(share.group(1))
    assert "Groene Lindelaan" in shared and "+" not in wa.server.display_phone_number
    join = re.search(rf"https://wa\.me/{wa.server.display_phone_number}\?text=(join-\S+)", shared)
    assert join is not None, shared
    # A neighbour in the group taps it: WhatsApp opens the chat with the code typed.
    dirk = wa.person("Dirk", "nl")
    await dirk.send(unquote(join.group(1)))
    await wa.settle()
    await tap(wa, dirk, "Noem me Dirk")  # the one question of onboarding
    await wa.settle()
    await tap(wa, dirk, "In het team")  # the invitation: the third input, and he's in
    await wa.settle()
    assert any("Groene Lindelaan" in (m.text or "") for m in dirk.messages), [
        m.text for m in dirk.messages
    ]
    assert dirk.wa_id not in "".join(m.text or "" for m in anna.messages)  # no numbers shown


# --- one process, both networks -----------------------------------------------------------------


async def test_telegram_and_whatsapp_in_one_process(tmp_path: Path) -> None:
    """`buurbot run` with both credentials: one core, one database, one scheduler; each
    person answered on their own network, and each network's link in their invitation."""
    async with both_networks(tmp_path, "both", VERIFY) as both:
        telegram, whatsapp, running = both.telegram, both.whatsapp, both.running
        anna = telegram.person("Anna", language_code="nl")
        await anna.send("/start")
        bert = whatsapp.person("Bert")
        await bert.send("/start")
        await anna.wait_for_message()
        welcome = await bert.wait_for_message()
        assert "Buurbot" in (welcome.text or "")
        async with running.services.db.transaction() as session:
            networks = sorted((await session.execute(select(NetworkIdentity.network))).scalars())
        assert networks == ["telegram", "whatsapp"]
