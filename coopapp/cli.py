"""`flask --app wsgi coop …`: demo data, users, audit and rollup checks."""

import sys

import click
from flask.cli import with_appcontext

from coopapp.errors import DomainError
from coopapp.extensions import db


@click.group()
def coop() -> None:
    """合作社经济台账 administration commands."""


@coop.command()
@click.option("--password", default=None, help="Password for the six demo users (default: demo-pass-2025).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds areas.")
@with_appcontext
def demo(password: str | None, if_empty: bool) -> None:
    """Load the Huidong demo data (idempotent)."""
    from coopapp.demo import load_demo
    from coopapp.models import Area

    if if_empty and db.session.query(Area.id).first() is not None:
        click.echo("database not empty; demo data not loaded")
        return
    try:
        created = load_demo(password or "demo-pass-2025")
    except DomainError as exc:
        raise click.UsageError(exc.message) from exc
    click.echo("demo data loaded" if created else "demo data already present; users' passwords updated")


@coop.command("init")
@click.option("--county", "county_code", required=True, help="The county's 6-digit code (or its 12-digit form).")
@click.option("--name", required=True, help="The county's name, e.g. 惠东县.")
@click.option("--admin", "admin_username", required=True, help="Username of the first administrator.")
@click.password_option(help="Asked for when not given; read from stdin when piped.")
@with_appcontext
def init(county_code: str, name: str, admin_username: str, password: str) -> None:
    """Turn an EMPTY database into COUNTY with its first admin (refuses any other database)."""
    from coopapp.villages.areas import init_county

    try:
        init_county(county_code, name, admin_username, password)
    except DomainError as exc:
        for field, message in exc.fields.items() or [("", exc.message)]:
            click.echo(f"error: {field}: {message}" if field else f"error: {message}", err=True)
        sys.exit(1)
    click.echo(f"county {name} initialised; admin {admin_username.strip()} can log in")


@coop.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["accountant", "secretary", "reviewer", "admin"]))
@click.option("--area", "area_code", required=True, help="Area code of the user's scope.")
@click.password_option(help="Asked for when not given; read from stdin when piped.")
@with_appcontext
def user_add(username: str, role: str, area_code: str, password: str) -> None:
    """Add a user with ROLE scoped to AREA (password from a prompt or stdin)."""
    from coopapp.access.accounts import add_user

    try:
        add_user(username, password, role, area_code)
    except DomainError as exc:
        for field, message in exc.fields.items() or [("", exc.message)]:
            click.echo(f"error: {field}: {message}", err=True)
        sys.exit(1)
    click.echo(f"user {username} added ({role}, {area_code})")


@coop.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Exit non-zero and name the first bad event if anything was changed behind the app's back."""
    from coopapp.access.audit import verify
    from coopapp.models import AuditHead

    problem = verify()
    if problem is not None:
        where = f"event #{problem.seq}: " if problem.seq is not None else ""
        click.echo(f"audit verify FAILED at {where}{problem.message}", err=True)
        sys.exit(1)
    head = db.session.get(AuditHead, 1)
    count = head.seq if head else 0
    click.echo(f"audit verify ok: {count} events, chain and rows intact")
    if head is not None:
        # Written down elsewhere (a printed notice, a reviewer's file), this detects even a
        # rewrite of the whole chain by someone who recomputes every hash.
        click.echo(f"chain head: #{head.seq} {head.hash}")


@coop.group()
def rollup() -> None:
    """Summary tables."""


@rollup.command("verify")
@with_appcontext
def rollup_verify() -> None:
    """Prove the summary tables equal the approved raw ledger."""
    from coopapp.ledger.rollups import verify

    problems = verify()
    for p in problems[:50]:
        click.echo(p, err=True)
    if problems:
        click.echo(f"rollup verify FAILED: {len(problems)} differences", err=True)
        sys.exit(1)
    click.echo("rollup verify ok: summaries equal the ledger")


@rollup.command("rebuild")
@with_appcontext
def rollup_rebuild() -> None:
    """Recompute the summary tables from the approved ledger (recorded in the audit chain, which
    also makes every running process draw its charts afresh)."""
    from coopapp.core.tx import atomic
    from coopapp.ledger.rollups import rebuild_recorded

    atomic(rebuild_recorded)()
    click.echo("rollup rebuilt")


@coop.group()
def data() -> None:
    """The stored data as a whole."""


@data.command("verify")
@with_appcontext
def data_verify() -> None:
    """List every stored value that breaks the input rules (months and dates outside the ledger's
    years or in other digits, control characters in texts); exit 1 when there is any."""
    from coopapp.access.data_check import bad_values

    found = bad_values()
    for bad in found:
        click.echo(str(bad), err=True)
    if found:
        click.echo(f"data verify FAILED: {len(found)} stored values break the input rules", err=True)
        sys.exit(1)
    click.echo("data verify ok: every stored month, date and text follows the input rules")


@coop.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path: str) -> None:
    """Back up the database to PATH (SQLite online backup; PostgreSQL pg_dump --format=custom)."""
    from coopapp.backup import BackupError, backup

    try:
        backup(db.engine.url, path)
    except BackupError as exc:
        click.echo(f"backup FAILED: {exc}", err=True)
        sys.exit(1)
    click.echo(f"backup written to {path}")


@coop.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(path: str, yes: bool) -> None:
    """Replace the database with the backup at PATH (stop the app first), then run `audit verify`."""
    from coopapp.backup import BackupError, restore

    if not yes:
        click.confirm(f"Replace every row of the database with {path}?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        restore(db.engine.url, path)
    except BackupError as exc:
        click.echo(f"restore FAILED: {exc}", err=True)
        sys.exit(1)
    db.engine.dispose()
    click.echo(f"restored from {path}; now run: flask --app wsgi coop audit verify")


def _register_import() -> None:
    from coopapp.imports.cli import import_group

    coop.add_command(import_group)


_register_import()
