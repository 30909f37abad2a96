"""`buurbot run` re-executes itself under `python -OO -X no_debug_ranges`
(bot/lean_start.py): only `run`, only once, only where the `-OO` bytecode cache is there or
can be written, and never when the interpreter's optimisation was chosen already."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.util import cache_from_source
from pathlib import Path

import pytest

from bot.lean_start import lean_command, optimized_cache_ready

ROOT = Path(__file__).resolve().parents[1]
ORIG = ["/venv/bin/python", "-X", "importtime", "-m", "bot", "run", "--webhook"]


def command(args: list[str], **overrides: object) -> list[str] | None:
    options: dict = {"optimize": 0, "environ": {}, "cache_ready": lambda: True}
    options.update(overrides)
    return lean_command(args, ORIG, **options)


def test_run_is_re_executed_with_its_own_command_line_under_oo() -> None:
    assert command(["run", "--webhook"]) == [
        "/venv/bin/python",
        "-OO",
        "-X",
        "no_debug_ranges",
        "-X",
        "importtime",
        "-m",
        "bot",
        "run",
        "--webhook",
    ]
    # PYTHONOPTIMIZE set but empty is unset, for Python too.
    assert command(["run"], environ={"PYTHONOPTIMIZE": ""}) is not None


@pytest.mark.parametrize(
    ("args", "overrides"),
    [
        ([], {}),  # `buurbot` alone: the console when there is no token
        (["console"], {}),
        (["migrate"], {}),
        (["run", "--help"], {}),
        (["run", "-h"], {}),
        (["run"], {"optimize": 1}),  # started with -O: that choice stands
        (["run"], {"optimize": 2}),  # re-executed already
        (["run"], {"environ": {"PYTHONOPTIMIZE": "0"}}),  # asked to keep the asserts
        (["run"], {"cache_ready": lambda: False}),  # it would compile at every start
    ],
)
def test_everything_else_goes_on_as_it_is(args: list[str], overrides: dict) -> None:
    assert command(args, **overrides) is None


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package `leanprobe` on sys.path, with no bytecode cache yet."""
    source = tmp_path / "leanprobe" / "__init__.py"
    source.parent.mkdir()
    source.write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "pycache_prefix", None)
    return source


def test_cache_ready_when_the_oo_bytecode_is_there(
    package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    plain = Path(cache_from_source(str(package)))
    plain.parent.mkdir()
    plain.write_bytes(b"")
    assert not optimized_cache_ready(["leanprobe"])  # a plain cache only, and no writing
    Path(cache_from_source(str(package), optimization=2)).write_bytes(b"")
    assert optimized_cache_ready(["leanprobe"])


def test_cache_ready_when_it_can_be_written_or_neither_start_has_one(
    package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert optimized_cache_ready(["leanprobe"])  # __pycache__ does not exist yet: created
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert optimized_cache_ready(["leanprobe"])  # both compile it: -OO costs nothing more
    assert optimized_cache_ready(["no_such_package_here"])


@pytest.mark.skipif(os.name != "posix", reason="os.execv replaces the process only on POSIX")
@pytest.mark.parametrize(
    ("optimize", "expected"), [(None, "2 True ['-c']"), ("0", "0 False ['-c']")]
)
def test_the_process_re_executes_itself_once(
    tmp_path: Path, optimize: str | None, expected: str
) -> None:
    """A real exec: `run` comes back as the same script under -OO -X no_debug_ranges,
    does not exec again, and prints once; with PYTHONOPTIMIZE=0 it is not re-executed."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONOPTIMIZE",)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")  # writable: the cache is ready
    env["PYTHONPATH"] = str(ROOT)
    if optimize is not None:
        env["PYTHONOPTIMIZE"] = optimize
    script = (
        "import sys\n"
        "from bot.lean_start import reexec_lean\n"
        "argv = list(sys.argv)\n"
        "reexec_lean(['run'])\n"
        "print(sys.flags.optimize, sys._xoptions.get('no_debug_ranges', False), argv)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == [expected]
