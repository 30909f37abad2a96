"""Views: what the bot shows — cards, buttons, the messages flows, groups and the
scheduler share, and the printed materials. Imports the core and the domain, never
flows (tests/test_layering.py)."""
