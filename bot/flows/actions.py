"""Not a flow any more: the names bot/flows/groups.py still imports from here, until it
imports them from bot/views/ (then this file goes; bot/domain/actions.py keeps the name).
The action flows are plan, action_edit, action_routes and tasks; their toolkit is in
bot/views/."""

from __future__ import annotations

from bot.views.access import id_arg
from bot.views.action_card import kind_label, totals_line
from bot.views.buttons import RSVP_BUTTONS, RSVP_KEYS
from bot.views.screens import show
from bot.views.text import shorten

__all__ = ["RSVP_BUTTONS", "RSVP_KEYS", "id_arg", "kind_label", "shorten", "show", "totals_line"]
