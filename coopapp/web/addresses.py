"""Same-site addresses: where a redirect may go (never to another site)."""

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None) -> str | None:
    """A redirect target only if it stays on this site (a relative path). A backslash or a control
    character is refused too: browsers read "/\\evil.example" as "//evil.example"."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    return target


def back_to(default: str) -> str:
    """The page the user came from on this site, else `default`."""
    ref = request.referrer
    if ref:
        parts = urlsplit(ref)
        if parts.netloc == request.host:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return default
