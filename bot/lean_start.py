"""`buurbot run` re-executes itself once, first thing, under `python -OO -X no_debug_ranges`.

Why: the bot process is mostly the code and classes of its libraries, and a good part of
that is text no running bot reads. Docstrings, over 5 MB of them (SQLAlchemy's about 2 MB):
`-OO` leaves them out of the compiled code, and the `assert` statements with them (ours only
narrow types for mypy; a library's are internal checks). The column of every instruction,
kept only to underline the failing expression in a traceback: `-X no_debug_ranges` leaves
it out (a traceback still names every file, line and function). `python -m
benchmarks.memory`, the idle aiogram bot on 100,000 residents: 106.3 MB as it was, 99.9 with
`-OO` alone (at most 100.1), 99.2 with both; python-telegram-bot 92.5 to 85.
An interpreter option holds only from the start of a process, hence the re-exec
(`os.execv`: the same process id, files and signals, so a supervisor sees nothing; before
any thread or event loop exists; 0.03 s from `python -m bot`, 0.12 s from the `buurbot`
script, which imports bot.cli first).

Only where it costs nothing at start: `-OO` code has a bytecode cache of its own
(`*.opt-2.pyc`), so a library without one, where that cache cannot be written either (a
read-only install, PYTHONDONTWRITEBYTECODE), would be compiled at every start (seconds).
There the bot starts as it is. An install fills that cache once with
`python -OO -m compileall <site-packages>`, or a first start does it where it may write.

Left alone: a process already started with -O/-OO or with PYTHONOPTIMIZE set (set it to 0
to keep the asserts and docstrings, e.g. to debug), other commands than `run` (the console,
the operator's commands), `run --help`, an embedding that calls `bot.cli.main(argv)`, and
anything but CPython on a POSIX system.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence

FLAGS = ("-OO", "-X", "no_debug_ranges")
# The biggest parts of what the bot imports: the standard library, SQLAlchemy, aiogram.
PROBES = ("asyncio", "sqlalchemy", "aiogram")


def lean_command(
    args: Sequence[str],
    orig_argv: Sequence[str],
    *,
    optimize: int,
    environ: Mapping[str, str],
    cache_ready: Callable[[], bool],
) -> list[str] | None:
    """The command line to re-execute `buurbot <args>` with, or None to go on as it is.

    `orig_argv` is the interpreter's own command line (`sys.orig_argv`), kept whole (its
    options, `-m bot` or the script) with the flags put right after the interpreter."""
    if not args or args[0] != "run" or any(a in ("-h", "--help") for a in args[1:]):
        return None
    if optimize or environ.get("PYTHONOPTIMIZE", "") != "" or len(orig_argv) < 2:
        return None
    if not cache_ready():
        return None
    return [orig_argv[0], *FLAGS, *orig_argv[1:]]


def reexec_lean(args: Sequence[str] | None = None) -> None:
    """Re-execute this process as `lean_command` says; return only when it says not to.

    `args`: the command's arguments (default `sys.argv[1:]`)."""
    if os.name != "posix" or sys.implementation.name != "cpython" or not sys.executable:
        return
    argv = lean_command(
        sys.argv[1:] if args is None else args,
        sys.orig_argv,
        optimize=sys.flags.optimize,
        environ=os.environ,
        cache_ready=optimized_cache_ready,
    )
    if argv is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)


def optimized_cache_ready(probes: Sequence[str] = PROBES) -> bool:
    """Whether `-OO` would load the probed packages from the bytecode cache as the plain
    interpreter does: their `.opt-2.pyc` is there or can be written, or neither start has
    a cache (both compile)."""
    from importlib.util import cache_from_source, find_spec

    for name in probes:
        spec = find_spec(name)
        source = getattr(spec, "origin", None)
        if not source or not source.endswith(".py"):
            continue
        optimized = cache_from_source(source, optimization=2)
        if os.path.exists(optimized):
            continue
        if not sys.dont_write_bytecode and _writable(os.path.dirname(optimized)):
            continue  # the first start writes it
        if os.path.exists(cache_from_source(source)):
            return False  # the plain start loads a cache that -OO would not have
    return True


def _writable(folder: str) -> bool:
    """Whether `folder` can be created and written (its nearest existing parent can)."""
    while folder and not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            return False
        folder = parent
    return bool(folder) and os.access(folder, os.W_OK | os.X_OK)
