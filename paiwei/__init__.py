"""The application shell of paiwei: settings, persistence, use cases and the CLI.

The pure core lives in the top-level packages ``seeding``, ``lottery`` and
``allocation``; this package imports them, never the other way round.
"""
