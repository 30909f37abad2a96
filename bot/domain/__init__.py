"""The domain: initiatives, actions, groups, coaches, programmes and their rules,
as queries and writes that emit events. It imports the core and storage, never
views, flows or the scheduler's rules and renderers (tests/test_layering.py)."""
