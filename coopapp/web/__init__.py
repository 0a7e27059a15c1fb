"""Server-rendered pages."""

from flask import Flask


def register_web(app: Flask) -> None:
    """Register every page blueprint."""
