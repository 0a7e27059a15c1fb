"""Display helpers for statements, notices and objections: printed links, the QR code, local times."""

from datetime import UTC, datetime

import segno
from flask import current_app, request, url_for
from markupsafe import Markup

from coopapp.ledger.operations import CHINA


def public_url(endpoint: str, **values) -> str:
    """The full address of a page for a printed link or a QR code: PUBLIC_BASE_URL + the page's path.

    Never the Host header of the request that printed it (whatever address the secretary typed,
    or a forged one); only without PUBLIC_BASE_URL (development) the request's own host is used.
    """
    path = url_for(endpoint, **values)
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + path


def qr_svg(url: str, scale: int = 4, fit: bool = False) -> Markup:
    """`url` as an inline SVG QR code: a plain path, no style attribute (CSP forbids inline styles).
    With `fit` it has a viewBox and no size, so it scales to its box (the printed notice)."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=scale, omitsize=fit, svgclass="qr", lineclass="qr-line", title=None)
    return Markup(svg)


def local_time(value: datetime | None) -> str:
    """A stored (naive UTC) timestamp as China time, "2025-03-05 14:30"; None → ""."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
