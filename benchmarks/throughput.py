"""P1: updates per second, CPU per update and reply latency, Buurbot against a bare echo
bot on its own framework.

N simulated residents (default 1,000) each hold a real conversation with the bot through
the local Bot API server over HTTP, all at once, each waiting for the bot's answer before
the next step (the burst: no think time):

    /start → press "Noem me <name>" → type "1234 AB" → press "Ja, dat is goed"
    → /menu → press "Deel een idee"                                   (6 updates each)

The bot runs as its own process, polling, exactly as ``buurbot run`` starts it
(``benchmarks.common`` launches it; a fresh database per run, SQLite or PostgreSQL). For
each runtime (``--runtimes``), right before Buurbot on it, the same load runs against the
bare echo bot of the same framework: ``benchmarks.echo_bot`` (aiogram) or
``benchmarks.echo_bot_ptb`` (python-telegram-bot), one sendMessage per text or command and
one answerCallbackQuery per button press (the person presses the echo's button). Each
Buurbot is reported against its own echo bot: the ratio of updates/s and of CPU per update
(the echo bot's ms over Buurbot's: 0.6 means 1.7 x the echo bot's CPU per update).

Two loads, one after the other in the same invocation: the **burst** above (``--people``),
and a **steady**, human rate (``--steady-people``, default 100, each pausing ``--think``
seconds on average, default 5, between half and one and a half of it, before each step;
``--steady-people 0`` skips it). At a steady rate both bots answer what comes, so their
updates/s are about equal; the CPU per update says what each costs.

Timing comes from the server's call log (``time.monotonic``, this process's clock):
latency is from the moment the update is put in the queue to the moment the bot's answer
arrives at the server — the sendMessage for a text or command, the answerCallbackQuery for
a button press ("first answer"); for Buurbot also the next question's sendMessage after a
button press ("turn done"). Throughput is updates handled per second over the run, from
the first update in to the last answer.

Pacing. In production every Buurbot message waits for Telegram's limits (1 a second per
chat, 30 a second overall — ``bot.core.delivery.TELEGRAM_LIMITS``); a bare echo bot has no
pacer. So the comparison runs with Buurbot's pacing **off** (a pacer whose limits are never
reached), and then, separately, Buurbot **as in production** (pacing on, ``python -m bot
run``, with the server enforcing Telegram's limits so any excess would come back as 429),
with fewer people (``--paced-people``, default 300): there the pacer, not the code, sets the
rate, and the ratio to the echo bot means nothing.

    .venv/bin/python -m benchmarks.throughput [--people 1000] [--db sqlite|postgres]
        [--steady-people 100] [--think 5] [--paced-people 300] [--runtimes aiogram ptb]
        [--rounds 1] [--profile [--profile-people N] [--profile-think S]]

``--profile`` adds a run of its own (``--profile-people``, a burst, or the steady load's
pace with ``--profile-think``) with pyinstrument in the aiogram bot process.

Writes benchmarks/results/throughput.json (and, with --profile, the profile as
benchmarks/results/throughput-profile.txt, .html and .pyisession).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RESULTS,
    TOKEN,
    USERNAME,
    bot_env,
    cpu_seconds,
    drop_database,
    load_average,
    machine,
    new_database,
    rss_mb,
    spawn,
    stop_process,
    summary_ms,
    wait_for_polling,
    write_results,
)
from local_bot_api import LocalBotApi
from local_bot_api.server import Call

START_TIMEOUT = 60.0  # aiogram's import alone takes 8-30 s on a busy 2-core machine
POSTCODE = "1234 AB"


# --- watching the call log -----------------------------------------------------------------


class Replies:
    """Futures resolved by the server's call log: the next sendMessage to a chat, the
    answer to a callback query. Registered before the update is made, so none is missed."""

    def __init__(self, server: LocalBotApi) -> None:
        self._sends: dict[int, list[asyncio.Future[Call]]] = defaultdict(list)
        self._answers: dict[str, asyncio.Future[Call]] = {}
        self.calls_by_method: dict[str, int] = defaultdict(int)
        record = server._record

        def watched(*args: Any, **kwargs: Any) -> Call:
            call = record(*args, **kwargs)
            self.calls_by_method[call.method if call.ok else f"{call.method} {call.status}"] += 1
            if not call.ok:
                return call
            if call.method == "sendMessage" and call.chat_id is not None:
                waiting = self._sends.get(call.chat_id)
                if waiting:
                    future = waiting.pop(0)
                    if not future.done():
                        future.set_result(call)
            elif call.method == "answerCallbackQuery":
                future = self._answers.pop(str(call.params.get("callback_query_id")), None)
                if future is not None and not future.done():
                    future.set_result(call)
            return call

        server._record = watched  # type: ignore[method-assign]

    def next_send(self, chat_id: int) -> asyncio.Future[Call]:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._sends[chat_id].append(future)
        return future

    def answer(self, query_id: str) -> asyncio.Future[Call]:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._answers[query_id] = future
        return future


@dataclass
class Turn:
    kind: str  # "message" or "button"
    sent_at: float  # the update went into the queue (server clock)
    first_answer: float | None = None  # sendMessage (message) / answerCallbackQuery (button)
    done: float | None = None  # the reply the person waited for


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)
    finished: bool = False
    error: str = ""


async def _wait(future: asyncio.Future[Call], deadline: float) -> Call:
    return await asyncio.wait_for(future, max(0.001, deadline - time.monotonic()))


def _press_tap(person: Any, message_id: int, label: str) -> str:
    """Tap a button on a given message, synchronously (no await between tap and timing)."""
    record = person._record.messages[message_id]
    for row in record.message.get("reply_markup", {}).get("inline_keyboard", ()):
        for button in row:
            if button["text"] == label:
                return person._tap(record, button)
    raise AssertionError(f"no button {label!r} on message {message_id}")


class Pause:
    """A person's think time before each update: ``think`` seconds on average, spread
    evenly between half and one and a half of it (so a crowd does not move in lockstep);
    none at all in the burst (``think`` 0)."""

    def __init__(self, think: float, seed: int) -> None:
        self.think = think
        self.random = random.Random(seed)

    async def __call__(self) -> None:
        if self.think > 0:
            await asyncio.sleep(self.think * self.random.uniform(0.5, 1.5))


async def _say(
    replies: Replies, person: Any, talk: Conversation, clock: Any, deadline: float, text: str
) -> Call:
    """One text or command, timed until the bot's answer arrives."""
    reply = replies.next_send(person.id)
    turn = Turn("message", clock())
    talk.turns.append(turn)
    await person.send(text)
    call = await _wait(reply, deadline)
    turn.first_answer = turn.done = call.timestamp
    return call


async def buurbot_conversation(
    server: LocalBotApi, replies: Replies, person: Any, deadline: float, think: float = 0.0
) -> Conversation:
    """The resident's six updates; each waits for the bot's next question (and then the
    person's think time, if any)."""
    talk = Conversation()
    clock = server.clock
    pause = Pause(think, person.id)

    async def say(text: str) -> Call:
        await pause()
        return await _say(replies, person, talk, clock, deadline, text)

    async def press(call: Call, index: int) -> Call:
        await pause()
        message_id = call.result["message_id"]
        buttons = call.result["reply_markup"]["inline_keyboard"]
        label = [b["text"] for row in buttons for b in row][index]
        reply = replies.next_send(person.id)
        turn = Turn("button", clock())
        talk.turns.append(turn)
        query_id = _press_tap(person, message_id, label)
        answered = replies.answer(query_id)
        sent = await _wait(reply, deadline)
        turn.done = sent.timestamp
        turn.first_answer = (await _wait(answered, deadline)).timestamp
        return sent

    try:
        greeting = await say("/start")
        postcode_question = await press(greeting, 0)  # "Noem me <name>"
        del postcode_question
        consent = await say(POSTCODE)
        await press(consent, 0)  # "Ja, dat is goed" → the main menu
        menu = await say("/menu")
        await press(menu, 0)  # "Deel een idee"
        talk.finished = True
    except (TimeoutError, KeyError, IndexError, AssertionError) as error:
        talk.error = f"{type(error).__name__}: {error}"
    return talk


async def echo_conversation(
    server: LocalBotApi, replies: Replies, person: Any, deadline: float, think: float = 0.0
) -> Conversation:
    """The same six updates, of the same kinds, to an echo bot (aiogram's or PTB's)."""
    talk = Conversation()
    clock = server.clock
    pause = Pause(think, person.id)

    async def say(text: str) -> Call:
        await pause()
        return await _say(replies, person, talk, clock, deadline, text)

    async def press(call: Call) -> None:
        await pause()
        turn = Turn("button", clock())
        talk.turns.append(turn)
        query_id = _press_tap(person, call.result["message_id"], "OK")
        answered = replies.answer(query_id)
        turn.first_answer = turn.done = (await _wait(answered, deadline)).timestamp

    try:
        await press(await say("/start"))
        await press(await say(POSTCODE))
        await press(await say("/menu"))
        talk.finished = True
    except (TimeoutError, KeyError, IndexError, AssertionError) as error:
        talk.error = f"{type(error).__name__}: {error}"
    return talk


# --- one run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "echo" or "buurbot"
    runtime: str = "aiogram"  # the framework, for an echo bot too
    pacing: bool = False
    production_command: bool = False  # `python -m bot run` itself


ECHO_BOTS = {"aiogram": "benchmarks.echo_bot", "ptb": "benchmarks.echo_bot_ptb"}
FRAMEWORKS = {"aiogram": "aiogram", "ptb": "PTB"}


async def run_one(
    target: Target,
    people: int,
    db: str,
    max_seconds: float,
    folder: Path,
    profile: Path | None,
    think: float = 0.0,
) -> dict[str, Any]:
    url = await new_database(db, folder) if target.kind == "buurbot" else ""
    log = folder / f"{target.name.replace(' ', '_')}.log"
    try:
        async with LocalBotApi(token=TOKEN, username=USERNAME) as server:
            if target.pacing:
                # Telegram's limits: our pacer should never see a 429 from them.
                server.enforce_limits()
            replies = Replies(server)
            env = bot_env(server.base_url, url or "sqlite+aiosqlite:///unused.db")
            env["BUURBOT_RUNTIME"] = target.runtime
            if target.kind == "echo":
                command = ["-m", ECHO_BOTS[target.runtime]]
            elif target.production_command:
                command = ["-m", "bot", "run"]
            else:
                command = ["-m", "benchmarks.common", "buurbot", "--pacing", "off"]
                if profile is not None:
                    command += ["--profile", str(profile)]
            process = spawn(command, env, log)
            try:
                await wait_for_polling(server, process, 0, START_TIMEOUT * 3, log)
                residents = [server.person(f"Buur{n}", language_code="nl") for n in range(people)]
                converse = echo_conversation if target.kind == "echo" else buurbot_conversation
                cpu_before = cpu_seconds(process.pid)
                harness_before = time.process_time()
                started = time.monotonic()
                deadline = started + max_seconds
                talks = await asyncio.gather(
                    *(converse(server, replies, person, deadline, think) for person in residents)
                )
                wall = time.monotonic() - started
                bot_cpu = cpu_seconds(process.pid) - cpu_before
                harness_cpu = time.process_time() - harness_before
                memory = rss_mb(process.pid)
                refused = server.limits.refused if server.limits is not None else None
                apologies = count_apologies(server)
            finally:
                # A profiled process writes its profile on the way out: give it time.
                code = await stop_process(process, 300.0 if profile else 30.0)
            rejected = [str(call) for call in server.rejected]
    finally:
        if url:
            await drop_database(url)
    result = summarise(
        target, people, db, talks, wall, bot_cpu, harness_cpu, memory, refused, code, rejected
    ) | {"think_seconds": think}
    if result["errors"] or any(apologies.values()):
        kept = RESULTS / f"throughput-{target.name.replace(' ', '_')}-{db}.log"
        RESULTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, kept)
        result["bot_log"] = str(kept)
    return result | {"calls": dict(replies.calls_by_method), "apologies": apologies}


APOLOGIES = {
    "something went wrong": "Something went wrong on my side. Please try again, or type /menu.",
    "cannot reach my memory": (
        "I cannot reach my memory right now. Nothing is lost: please try again in a minute."
    ),
    "flood pause": (
        "You are sending messages very quickly. I will pause for a few seconds, then we go on."
    ),
}


def count_apologies(server: LocalBotApi) -> dict[str, int]:
    """The bot's apologies among its messages (in Dutch, as the residents speak Dutch)."""
    from bot.i18n import texts_for

    texts = texts_for("nl")
    wanted = {texts._(msgid): name for name, msgid in APOLOGIES.items()}
    found = dict.fromkeys(APOLOGIES, 0)
    for call in server.calls_to("sendMessage", ok=True):
        name = wanted.get(str(call.params.get("text", "")))
        if name is not None:
            found[name] += 1
    return found


def summarise(
    target: Target,
    people: int,
    db: str,
    talks: list[Conversation],
    wall: float,
    bot_cpu: float,
    harness_cpu: float,
    memory: dict[str, float],
    refused: int | None,
    exit_code: int,
    rejected: list[str],
) -> dict[str, Any]:
    turns = [turn for talk in talks for turn in talk.turns if turn.done is not None]
    first = min((t.sent_at for talk in talks for t in talk.turns), default=0.0)
    last = max((t.done for t in turns if t.done is not None), default=first)
    span = max(last - first, 1e-9)
    answered = [t.first_answer - t.sent_at for t in turns if t.first_answer is not None]
    done = [t.done - t.sent_at for t in turns if t.done is not None]
    buttons_done = [t.done - t.sent_at for t in turns if t.kind == "button" and t.done]
    errors = sorted({talk.error for talk in talks if talk.error})
    return {
        "target": target.name,
        "runtime": target.runtime if target.kind == "buurbot" else f"{target.runtime} (bare)",
        "database": db if target.kind == "buurbot" else "none",
        "pacing": "on (production)" if target.pacing else "off",
        "people": people,
        "conversations_finished": sum(talk.finished for talk in talks),
        "updates_answered": len(turns),
        "seconds": round(span, 2),
        "wall_seconds": round(wall, 2),
        "updates_per_second": round(len(turns) / span, 1),
        "first_answer": summary_ms(answered),
        "turn_done": summary_ms(done),
        "button_turn_done": summary_ms(buttons_done),
        "bot_cpu_seconds": round(bot_cpu, 2),
        "bot_cpu_ms_per_update": round(bot_cpu * 1000 / max(1, len(turns)), 2),
        "harness_cpu_seconds": round(harness_cpu, 2),
        "bot_memory": memory,
        "server_429_refusals": refused,
        "bot_exit_code": exit_code,
        "rejected_calls": rejected[:5],
        "errors": errors[:5],
    }


# --- the whole benchmark ---------------------------------------------------------------------


async def compare(
    runtime: str, load: str, people: int, think: float, args: argparse.Namespace, folder: Path
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Buurbot on `runtime` and the bare echo bot of the same framework, one after the
    other under the same load; both results and their ratios."""
    echo_target = Target(f"echo (bare {FRAMEWORKS[runtime]})", "echo", runtime=runtime)
    results = []
    for target in (echo_target, Target(f"buurbot {runtime}", "buurbot", runtime=runtime)):
        result = await run_one(target, people, args.db, args.max_seconds, folder, None, think)
        result["load"] = load
        results.append(result)
        report_line(result)
    echo, buurbot = results
    ratio = {
        "load": load,
        "runtime": runtime,
        "database": args.db,
        "people": people,
        "think_seconds": think,
        # Buurbot's updates/s over the echo bot's: at a steady rate both answer what comes,
        # so this is about 1 there; the CPU ratio is the one that says what each update costs.
        "updates_per_second": round(
            buurbot["updates_per_second"] / max(echo["updates_per_second"], 1e-9), 3
        ),
        # The echo bot's CPU per update over Buurbot's: the share of the echo bot's rate that
        # Buurbot would reach with the same CPU (0.6 = 1.7 x the echo bot's CPU per update).
        "cpu_per_update": round(
            echo["bot_cpu_ms_per_update"] / max(buurbot["bot_cpu_ms_per_update"], 1e-9), 3
        ),
        "echo_cpu_ms_per_update": echo["bot_cpu_ms_per_update"],
        "buurbot_cpu_ms_per_update": buurbot["bot_cpu_ms_per_update"],
        "echo_updates_per_second": echo["updates_per_second"],
        "buurbot_updates_per_second": buurbot["updates_per_second"],
    }
    buurbot["ratio_to_echo"] = ratio["updates_per_second"]
    buurbot["cpu_ratio_to_echo"] = ratio["cpu_per_update"]
    print(f"    {ratio_line(ratio)}", flush=True)
    return results, ratio


def ratio_line(ratio: dict[str, Any]) -> str:
    return (
        f"{ratio['runtime']:8} {ratio['load']:7} Buurbot / its echo bot: updates/s "
        f"{ratio['updates_per_second']:.2f}, CPU per update {ratio['cpu_per_update']:.2f} "
        f"({ratio['echo_cpu_ms_per_update']:.2f} / {ratio['buurbot_cpu_ms_per_update']:.2f} ms)"
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    loads = {"burst": (args.people, 0.0)}
    if args.steady_people > 0:
        loads["steady"] = (args.steady_people, args.think)
    compared: dict[str, list[dict[str, Any]]] = {load: [] for load in loads}
    ratios: list[dict[str, Any]] = []
    paced: list[dict[str, Any]] = []
    profile = RESULTS / "throughput-profile.txt" if args.profile else None
    if profile is not None:
        RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="buurbot-bench-") as name:
        folder = Path(name)
        for round_number in range(1, args.rounds + 1):
            for load, (people, think) in loads.items():
                for runtime in args.runtimes:
                    results, ratio = await compare(runtime, load, people, think, args, folder)
                    for result in results:
                        result["round"] = round_number
                    compared[load].extend(results)
                    ratios.append(ratio | {"round": round_number})
        if args.paced_people > 0:
            for runtime in args.runtimes:
                target = Target(
                    f"buurbot {runtime} paced",
                    "buurbot",
                    runtime=runtime,
                    pacing=True,
                    production_command=True,
                )
                result = await run_one(
                    target, args.paced_people, args.db, args.max_seconds, folder, None
                )
                paced.append(result)
                report_line(result)
        profiled: dict[str, Any] | None = None
        if profile is not None:
            # A run of its own: the profiler slows the bot down, so its figures are not
            # comparable; it says where the time goes.
            target = Target("buurbot aiogram profiled", "buurbot")
            profiled = await run_one(
                target,
                args.profile_people,
                args.db,
                args.max_seconds,
                folder,
                profile,
                think=args.profile_think,
            )
            report_line(profiled)
    medians: dict[str, dict[str, float]] = {}
    for key in dict.fromkeys((r["runtime"], r["load"]) for r in ratios):
        mine = [r for r in ratios if (r["runtime"], r["load"]) == key]
        medians[" ".join(key)] = {
            measure: round(statistics.median(r[measure] for r in mine), 3)
            for measure in ("updates_per_second", "cpu_per_update")
        }
    return {
        "benchmark": "P1 throughput and latency: Buurbot vs a bare echo bot on its own framework",
        "machine": machine(),
        "load_average_1_5_15_at_end": load_average(),
        "conversation": "/start, press name, postcode, press consent, /menu, press a menu item",
        "goal": (
            "Buurbot (pacing off) >= 0.6 x the echo bot of its own framework, in the same run:"
            " updates/s in the burst, CPU per update (echo's ms / Buurbot's) in both loads"
        ),
        "loads": {
            load: {"people": people, "think_seconds": think}
            for load, (people, think) in loads.items()
        },
        "comparison_pacing_off": compared["burst"],
        "steady_pacing_off": compared.get("steady", []),
        "ratios_to_echo": ratios,
        "median_ratio_to_echo": medians,
        "as_in_production_pacing_on": paced,
        "profiled_run": profiled,
        "profile": str(profile) if profile else None,
    }


def report_line(result: dict[str, Any]) -> None:
    first, turn = result["first_answer"], result["turn_done"]
    extra = ""
    if result["server_429_refusals"] is not None:
        extra = f"  429s from the server: {result['server_429_refusals']}"
    print(
        f"{result['target']:22} {result['database']:6} {result.get('load', ''):6} "
        f"pacing {result['pacing']:15} "
        f"{result['conversations_finished']}/{result['people']} done, "
        f"{result['updates_answered']} updates in {result['seconds']:.1f} s = "
        f"{result['updates_per_second']:.1f}/s; first answer p50 {first['p50_ms']:.0f} ms "
        f"p99 {first['p99_ms']:.0f} ms; turn p50 {turn['p50_ms']:.0f} ms p99 "
        f"{turn['p99_ms']:.0f} ms; bot CPU {result['bot_cpu_ms_per_update']:.2f} ms/update, "
        f"RSS {result['bot_memory']['rss_mb']:.0f} MB{extra}",
        flush=True,
    )
    if result["errors"]:
        print(f"    errors: {result['errors']}", flush=True)
    if any(result["apologies"].values()):
        print(f"    apologies: {result['apologies']}; log: {result.get('bot_log')}", flush=True)
    if result["rejected_calls"]:
        print(f"    rejected calls: {result['rejected_calls']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--paced-people", type=int, default=300, help="0: skip the paced run")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--runtimes", nargs="+", choices=("aiogram", "ptb"), default=["aiogram", "ptb"]
    )
    parser.add_argument(
        "--steady-people", type=int, default=100, help="people at a human rate; 0: skip it"
    )
    parser.add_argument(
        "--think", type=float, default=5.0, help="seconds a steady person waits between steps"
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat the comparison")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="bound of each run")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the aiogram bot")
    parser.add_argument("--profile-people", type=int, default=300, help="people when profiled")
    parser.add_argument(
        "--profile-think",
        type=float,
        default=0.0,
        help="think time of the profiled run (0: a burst; e.g. 3: the steady load)",
    )
    args = parser.parse_args()
    if not 1 <= args.people <= 20_000 or not 0 <= args.paced_people <= 20_000:
        parser.error("--people and --paced-people: at most 20,000")
    if not 0 <= args.steady_people <= 20_000 or args.think <= 0:
        parser.error("--steady-people: at most 20,000; --think: more than 0 seconds")
    figures = asyncio.run(run(args))
    path = write_results("throughput", figures)
    print("Buurbot (pacing off) / the echo bot of its framework, goal >= 0.6:")
    for ratio in figures["ratios_to_echo"]:
        print(f"  round {ratio['round']}: {ratio_line(ratio)}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
