"""Reports (Jinja2 templates rendered to HTML and PDF) — not built yet.

Planned for the reports milestone: renderers that take values (the publication
folder's index, round and school summaries, explanations) and never touch the
database. Until then the publication folder's JSON files are the reports.
"""
