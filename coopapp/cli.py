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
@click.option("--password", default=None, help="Password for the demo users (default: demo-pass-2025).")
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


def _fail(exc: DomainError) -> None:
    """Print a refusal field by field and exit 1."""
    for field, message in exc.fields.items() or [("", exc.message)]:
        click.echo(f"error: {field}: {message}" if field else f"error: {message}", err=True)
    sys.exit(1)


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
        _fail(exc)
    click.echo(f"county {name} initialised; admin {admin_username.strip()} can log in")


@coop.group()
def user() -> None:
    """Manage users."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, help="accountant, secretary, reviewer, admin — or 会计, 书记, 审核员, 管理员.")
@click.option("--area", "area_code", required=True, help="Area code of the user's scope.")
@click.option("--display-name", default=None, help="The name pages show (登记人, 审核人), e.g. 李会计.")
@click.option("--phone", default=None, help="A mobile or landline number.")
@click.password_option(help="Asked for when not given; read from stdin when piped.")
@with_appcontext
def user_add(username: str, role: str, area_code: str, display_name: str | None, phone: str | None, password: str):
    """Add a user with ROLE scoped to AREA (password from a prompt or stdin)."""
    from coopapp.access.users import add_user

    try:
        user = add_user(username, password, role, area_code, display_name=display_name, phone=phone)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"user {user.username} added ({user.role}, {user.area.code})")


@user.command("set")
@click.argument("username")
@click.option("--role", default=None, help="A role code or its Chinese name.")
@click.option("--area", "area_code", default=None, help="Area code of the new scope.")
@click.option("--display-name", default=None, help="The name pages show.")
@click.option("--phone", default=None, help="A mobile or landline number ('' clears it).")
@with_appcontext
def user_set(username: str, role, area_code, display_name, phone) -> None:
    """Change a user's role, scope, display name or phone (a role or scope change ends their tokens)."""
    from coopapp.access import users

    given = {"role": role, "area": area_code, "display_name": display_name, "phone": phone}
    changes = {key: value for key, value in given.items() if value is not None}
    if not changes:
        raise click.UsageError("nothing to change: give --role, --area, --display-name or --phone")
    try:
        user = users.update_user(None, users.get_user(None, username), changes)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"user {user.username} changed ({user.role}, {user.area.code})")


def _switch(username: str, active: bool) -> None:
    from coopapp.access import users

    try:
        users.update_user(None, users.get_user(None, username), {"active": active})
    except DomainError as exc:
        _fail(exc)
    click.echo(f"user {username} {'activated' if active else 'deactivated'}")


@user.command("deactivate")
@click.argument("username")
@with_appcontext
def user_deactivate(username: str) -> None:
    """Stop USERNAME logging in (what they recorded stays); ends their tokens."""
    _switch(username, False)


@user.command("activate")
@click.argument("username")
@with_appcontext
def user_activate(username: str) -> None:
    """Let a deactivated USERNAME log in again."""
    _switch(username, True)


@user.command("reset-password")
@click.argument("username")
@with_appcontext
def user_reset_password(username: str) -> None:
    """Print a one-time password for USERNAME, who must replace it at the next login."""
    from coopapp.access import users

    try:
        password = users.reset_password(None, users.get_user(None, username))
    except DomainError as exc:
        _fail(exc)
    click.echo(f"one-time password for {username}: {password}")


@user.command("list")
@click.option("--area", "area_code", default=None, help="Only users under this area.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows.")
@with_appcontext
def user_list(area_code: str | None, as_json: bool) -> None:
    """Users with their display name, role, area, phone, active and locked flags."""
    import json

    from coopapp.access import users
    from coopapp.villages.catalog import area_by_code

    try:
        rows = users.list_users(None, area_by_code(area_code) if area_code else None)
    except DomainError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=1))
        return
    for row in rows:
        flags = ("" if row.active else " inactive") + (" locked" if row.locked else "")
        click.echo(f"{row.username}\t{row.display_name or '-'}\t{row.role}\t{row.area}\t{row.phone or '-'}{flags}")


@user.command("unlock")
@click.argument("username")
@click.option("--as", "admin_username", default=None, help="Acting admin (default: the first county-wide admin).")
@with_appcontext
def user_unlock(username: str, admin_username: str | None) -> None:
    """Forget USERNAME's failed logins so the user may log in at once (audited)."""
    from sqlalchemy import select

    from coopapp.access.accounts import unlock_user
    from coopapp.models import User

    target = db.session.scalar(select(User).where(User.username == username))
    q = select(User).where(User.role == "admin", User.active.is_(True))
    q = q.where(User.username == admin_username) if admin_username else q.order_by(User.id)
    actor = db.session.scalars(q).first()
    if target is None or actor is None:
        click.echo(
            f"error: no such {'user' if target is None else 'admin'}: {username if target is None else admin_username}",
            err=True,
        )
        sys.exit(1)
    try:
        unlock_user(actor, target)
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"user {username} unlocked")


@coop.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
@click.option(
    "--files", "check_files", is_flag=True, help="Also re-hash every stored voucher file (slow: a pass of its own)."
)
@with_appcontext
def audit_verify(check_files: bool) -> None:
    """Exit non-zero and name the first bad event if anything was changed behind the app's back;
    with --files, also each voucher file that is missing or changed."""
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
    if check_files:
        _verify_voucher_files()


def _verify_voucher_files() -> None:
    """The files pass of `audit verify --files`: every voucher file re-hashed against its row."""
    from coopapp.vouchers.operations import verify_files

    problems = verify_files()
    for problem in problems[:50]:
        click.echo(f"  {problem}", err=True)
    if problems:
        click.echo(f"audit verify --files FAILED: {len(problems)} voucher files missing or changed", err=True)
        sys.exit(1)
    click.echo("voucher files ok: every file matches its SHA-256")


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


@coop.group()
def vouchers() -> None:
    """The voucher files (原始凭证)."""


@vouchers.command("gc")
@click.option("--min-age-hours", default=24.0, show_default=True, help="Keep files younger than this.")
@with_appcontext
def vouchers_gc(min_age_hours: float) -> None:
    """Delete voucher files no row uses (left by a process killed in the middle of an upload)."""
    from coopapp.vouchers.operations import collect_orphans

    removed = collect_orphans(int(min_age_hours * 3600))
    click.echo(f"vouchers gc: {len(removed)} unused files removed")


@coop.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path: str) -> None:
    """Back up the database to PATH (SQLite online backup; PostgreSQL pg_dump --format=custom), then
    the voucher files to PATH.vouchers/."""
    from coopapp.backup import BackupError, backup, backup_files, files_dir
    from coopapp.vouchers.storage import voucher_dir

    try:
        backup(db.engine.url, path)
        copied = backup_files(voucher_dir(), path)
    except (BackupError, OSError) as exc:
        click.echo(f"backup FAILED: {exc}", err=True)
        sys.exit(1)
    click.echo(f"backup written to {path}; voucher files in {files_dir(path)} ({copied} new)")


@coop.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
@with_appcontext
def restore_command(path: str, yes: bool) -> None:
    """Replace the database with the backup at PATH (stop the app first) and put back its voucher
    files, then run `audit verify --files`."""
    from coopapp.backup import BackupError, restore, restore_files
    from coopapp.vouchers.storage import voucher_dir

    if not yes:
        click.confirm(f"Replace every row of the database with {path}?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        restore(db.engine.url, path)
        copied = restore_files(path, voucher_dir())
    except (BackupError, OSError) as exc:
        click.echo(f"restore FAILED: {exc}", err=True)
        sys.exit(1)
    db.engine.dispose()
    if copied is None:
        click.echo("this backup holds no voucher files (made before vouchers): the voucher directory is unchanged")
    else:
        click.echo(f"voucher files restored: {copied} copied")
    click.echo(f"restored from {path}; now run: flask --app wsgi coop audit verify --files")


def _register_import() -> None:
    from coopapp.imports.cli import import_group
    from coopapp.settings.cli import settings_group

    coop.add_command(import_group)
    coop.add_command(settings_group)


_register_import()
