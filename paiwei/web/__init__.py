"""Server-rendered pages (Jinja2, Simplified Chinese) for parents, notaries and staff.

Pages call the same keyword-only use cases as the API (``paiwei.<domain>.service``); the
JavaScript a page needs is in ``static/js`` (no inline script or style, for a CSP with
``script-src 'self'``), and every asset, the OpenAPI page's included, is served by the app.
"""

from paiwei.web.views import install

__all__ = ["install"]
