import sys

from bot.lean_start import reexec_lean

reexec_lean()  # `run`: before anything else is imported (bot/lean_start.py)

from bot.cli import main  # noqa: E402

sys.exit(main())
