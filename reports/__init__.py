"""Printable reports: Jinja2 templates rendered to HTML, and the same HTML printed to PDF
(WeasyPrint, Noto CJK fonts embedded).

Every renderer takes frozen values and returns :class:`Rendered` (``html``, ``pdf``); none
reads a database, a file or the network. The shell (:mod:`paiwei.reporting`) builds the
values from the database or the publication folder, with labels from ``paiwei.data``.
"""

from reports._render import Rendered, html_to_pdf, render_html
from reports.collection_form import (
    CollectionForm,
    GuardianLines,
    render_collection_forms,
    verification_code,
    verification_url,
)
from reports.protocol import Protocol, ProtocolError, protocol_of, render_protocol

__all__ = [
    "CollectionForm",
    "GuardianLines",
    "Protocol",
    "ProtocolError",
    "Rendered",
    "html_to_pdf",
    "protocol_of",
    "render_collection_forms",
    "render_html",
    "render_protocol",
    "verification_code",
    "verification_url",
]
