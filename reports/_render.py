"""One template, two media: Jinja2 renders the HTML, WeasyPrint prints that same HTML to PDF.

No database, no network: a template sees only the frozen values it is given. Fonts are
the system's Noto CJK faces (Debian ``fonts-noto-cjk``, installed by the Makefile);
WeasyPrint embeds the subset of each face the page uses, so the PDF reads the same on a
machine without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import jinja2

FONT_STACK = '"Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", sans-serif'


@dataclass(frozen=True, slots=True)
class Rendered:
    """A report in both media: the HTML page and the PDF bytes printed from it."""

    name: str  # file stem, e.g. ``protocol-multi-school``
    html: str
    pdf: bytes


def _zh_datetime(text: str | None) -> str:
    """``2024-07-04T01:00:00.000000Z`` -> ``2024-07-04 01:00:00 UTC``; '' for None."""
    if not text:
        return ""
    date, _, rest = text.partition("T")
    return f"{date} {rest[:8]} UTC" if rest else date


def _group(hex_text: str | None, size: int = 8) -> str:
    """Hex in groups for reading aloud: ``ab12cd34 ef56…``."""
    if not hex_text:
        return "—"
    return " ".join(hex_text[i : i + size] for i in range(0, len(hex_text), size))


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["zh_time"] = _zh_datetime
    env.filters["hexgroup"] = _group
    env.globals["FONT_STACK"] = FONT_STACK
    return env


def render_html(template: str, **values: Any) -> str:
    """Render ``templates/<template>`` with ``values``. Raises ``jinja2.TemplateError``."""
    return environment().get_template(template).render(**values)


@lru_cache(maxsize=32)
def html_to_pdf(html: str) -> bytes:
    """Print the HTML to PDF (A4, the fonts embedded). Imports WeasyPrint lazily: it loads
    Pango through cffi, which only the commands that print need. The same HTML is printed
    once per process (the district's copy of a protocol equals the public one)."""
    import weasyprint  # noqa: PLC0415

    pdf: bytes = weasyprint.HTML(string=html, base_url=".").write_pdf()
    return pdf


def render(name: str, template: str, **values: Any) -> Rendered:
    html = render_html(template, **values)
    return Rendered(name=name, html=html, pdf=html_to_pdf(html))
