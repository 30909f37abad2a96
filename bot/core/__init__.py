"""The core: the seam, the engine, flows as data, delivery, the reply outbox, the
policy. It knows no network and no domain: it imports nothing from bot.domain,
bot.views or bot.flows (tests/test_layering.py)."""
