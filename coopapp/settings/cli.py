"""`flask --app wsgi coop settings show|set`: a county's settings for IT staff (JSON in, JSON out)."""

import json
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from coopapp.errors import DomainError
from coopapp.extensions import db


def _county(code: str):
    from coopapp.models import Area

    county = db.session.scalar(select(Area).where(Area.code == code, Area.level == "county"))
    if county is None:
        click.echo(f"error: no county with code {code}", err=True)
        sys.exit(1)
    return county


def _document(county) -> dict:
    from coopapp.settings import for_area, to_document
    from coopapp.settings.operations import stored_row, version_of

    return {"county": county.code, "settings": to_document(for_area(county)), "version": version_of(stored_row(county))}


@click.group("settings")
def settings_group() -> None:
    """A county's own rules (县级设置): tiers, categories, caps and thresholds."""


@settings_group.command("show")
@click.option("--county", "county_code", required=True, help="The county's code, e.g. 441323.")
@with_appcontext
def settings_show(county_code: str) -> None:
    """Print the county's settings as JSON (the defaults when it has set none: version 0)."""
    click.echo(json.dumps(_document(_county(county_code)), ensure_ascii=False, indent=2))


@settings_group.command("set")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--county", "county_code", required=True, help="The county's code, e.g. 441323.")
@click.option("--as", "admin_username", default=None, help="Acting admin (default: the first admin over the county).")
@with_appcontext
def settings_set(path: str, county_code: str, admin_username: str | None) -> None:
    """Replace the county's settings with the JSON document in PATH (audited as the acting admin).
    A field left out gets its default; `show` prints a document to start from (its "settings")."""
    from coopapp.models import User
    from coopapp.settings.operations import can_manage_settings, save_settings

    county = _county(county_code)
    try:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
    except (OSError, ValueError) as exc:
        click.echo(f"error: {path} is not a JSON file: {exc}", err=True)
        sys.exit(1)
    if isinstance(document, dict) and set(document) == {"county", "settings", "version"}:
        document = document["settings"]  # the output of `show`, as it is
    q = select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id)
    if admin_username:
        q = q.where(User.username == admin_username)
    actor = next((u for u in db.session.scalars(q) if can_manage_settings(u, county)), None)
    if actor is None:
        click.echo(
            f"error: no active admin over county {county.code}"
            + (f" named {admin_username}" if admin_username else ""),
            err=True,
        )
        sys.exit(1)
    try:
        save_settings(actor, county, document)
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        for name, message in exc.fields.items():
            click.echo(f"  {name}: {message}", err=True)
        sys.exit(1)
    click.echo(f"settings of county {county.code} saved (version {_document(county)['version']})")
