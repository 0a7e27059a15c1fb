"""`flask --app wsgi coop import ledger|households|areas FILE …`."""

import functools
import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from coopapp.errors import DomainError
from coopapp.extensions import db
from coopapp.imports.options import ReadOptions
from coopapp.imports.report import ImportReport
from coopapp.models import Project, User


@click.group("import")
def import_group() -> None:
    """Import ledger entries or a household roster from an XLSX or CSV file (all rows or none)."""


def _user(username: str | None, fallback) -> User:
    if username:
        user = db.session.query(User).filter_by(username=username).one_or_none()
        if user is None:
            raise click.UsageError(f"no user {username!r}")
        return user
    user = fallback()
    if user is None:
        raise click.UsageError("no user to import as; pass --as USERNAME")
    return user


def read_options(command):
    """The options every import command takes on how to read its file, passed on as `options`."""

    @click.option("--sheet", default=None, help="The worksheet to read (default: the one the workbook opens on).")
    @click.option("--include-hidden", is_flag=True, help="Read the rows the file hides as data too.")
    @click.option(
        "--answer",
        "answers",
        multiple=True,
        metavar="KEY=VALUE",
        help="Answer a question the import stopped for (its key and one of its options; repeatable).",
    )
    @functools.wraps(command)
    def wrapper(*args, sheet, include_hidden, answers, **kwargs):
        try:
            options = ReadOptions.from_cli(sheet, include_hidden, answers)
        except ValueError as exc:
            raise click.BadParameter(f"{exc} (expected KEY=VALUE)", param_hint="--answer") from None
        return command(*args, options=options, **kwargs)

    return wrapper


def _finish(report: ImportReport, as_json: bool) -> None:
    """Print the report (one JSON object with --json) and exit 0 only for a clean file."""
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        for p in report.errors:
            where = f"row {p.row}" if p.row is not None else "file"
            click.echo(f"error: {where} [{p.column or ''}] {p.value or ''!s}: {p.message}", err=True)
        for p in report.warnings:
            click.echo(f"warning: row {p.row} [{p.column or ''}] {p.value or ''!s}: {p.message}", err=True)
        for q in report.questions:
            where = f"row {q.row}" if q.row is not None else "file"
            choices = ", ".join(f"{value} ({label})" for value, label in q.options)
            click.echo(f"question {q.key}: {where} [{q.column or ''}] {q.value or ''!s}: {q.message}", err=True)
            click.echo(f"  answer with --answer {q.key}=VALUE, VALUE one of: {choices}", err=True)
        if report.sheet:
            others = [name for name in report.sheets if name != report.sheet]
            more = f" (other sheets: {', '.join(others)}; --sheet NAME reads another)" if others else ""
            click.echo(f"sheet read: {report.sheet}{more}", err=True)
        if report.hidden_rows:
            shown = ", ".join(str(n) for n in report.hidden_rows[:20])
            click.echo(f"hidden rows left out: {shown} (--include-hidden reads them)", err=True)
        if report.imported:
            verb = "imported"
        elif report.questions and report.error_count == 0:
            verb = f"stopped for {len(report.questions)} question(s); nothing imported"
        else:
            verb = "would import" if report.ok else "refused; nothing imported"
        batch = f" as batch #{report.batch_id}" if report.batch_id else ""
        total = f", total {report.total_fen} fen" if report.kind == "ledger" else ""  # (only a ledger has amounts)
        click.echo(
            f"{verb}{batch}: {report.rows_ok} rows ok, {report.rows_skipped} skipped, "
            f"{report.error_count} errors, {len(report.warnings)} warnings{total}"
        )
    sys.exit(0 if report.ok else 1)


def _fail(message: str, file_name: str, kind: str, dry_run: bool, as_json: bool) -> None:
    report = ImportReport(kind, file_name, dry_run)
    report.error(None, None, file_name, message)
    _finish(report, as_json)


@import_group.command("ledger")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_id", type=int, required=True, help="Id of the project the entries belong to.")
@click.option("--as", "username", default=None, help="Importing user (default: the village's first accountant).")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@read_options
@with_appcontext
def import_ledger_command(
    file: Path, project_id: int, username: str | None, dry_run: bool, as_json: bool, options: ReadOptions
) -> None:
    """Import FILE's rows as one batch of draft entries of the project."""
    from coopapp.imports.ledger import default_importer, import_ledger

    project = db.session.get(Project, project_id)
    if project is None:
        raise click.UsageError(f"no project {project_id}")
    user = _user(username, lambda: default_importer(project))
    try:
        report = import_ledger(user, project, file, file.name, dry_run=dry_run, options=options)
    except DomainError as exc:
        _fail(exc.message, file.name, "ledger", dry_run, as_json)
    _finish(report, as_json)


@import_group.command("households")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--village", "village_code", default=None, help="Area code of the village.")
@click.option("--county", "whole_county", is_flag=True, help="The whole county: a 村 column names each row's village.")
@click.option(
    "--as",
    "username",
    default=None,
    help="Importing user (default: the village's first secretary; --county: the first admin).",
)
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@read_options
@with_appcontext
def import_households_command(
    file: Path,
    village_code: str | None,
    whole_county: bool,
    username: str | None,
    dry_run: bool,
    as_json: bool,
    options: ReadOptions,
):
    """Register FILE's households in the village (--village CODE) or across the county (--county)."""
    from coopapp.core.codes import canonical_area_code
    from coopapp.imports import areas as area_import
    from coopapp.imports.households import default_importer, import_households
    from coopapp.models import Area

    if (village_code is None) == (not whole_county):
        raise click.UsageError("give either --village CODE or --county")
    if whole_county:
        county = db.session.query(Area).filter_by(level="county").order_by(Area.id).first()
        if county is None:
            raise click.UsageError("no county yet: run coop init first")
        user = _user(username, area_import.default_importer)
        try:
            report = import_households(user, county, file, file.name, dry_run=dry_run, county=True, options=options)
        except DomainError as exc:
            _fail(exc.message, file.name, "households", dry_run, as_json)
        _finish(report, as_json)
        return
    try:
        village_code = canonical_area_code(village_code, field="village")
    except DomainError as exc:
        raise click.UsageError(exc.message) from exc
    village = db.session.query(Area).filter_by(code=village_code, level="village").one_or_none()
    if village is None:
        raise click.UsageError(f"no village {village_code}")
    user = _user(username, lambda: default_importer(village))
    try:
        report = import_households(user, village, file, file.name, dry_run=dry_run, options=options)
    except DomainError as exc:
        _fail(exc.message, file.name, "households", dry_run, as_json)
    _finish(report, as_json)


@import_group.command("areas")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", default=None, help="Importing admin (default: the first admin).")
@click.option("--dry-run", is_flag=True, help="Check the file and report what would change; write nothing.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (the ledger report's shape plus 'changed')."
)
@read_options
@with_appcontext
def import_areas_command(file: Path, username: str | None, dry_run: bool, as_json: bool, options: ReadOptions) -> None:
    """Bring the area tree to FILE's state (an NBS 统计用区划代码 table or a village-groups sheet)."""
    from coopapp.imports.areas import default_importer, import_areas

    user = _user(username, default_importer)
    try:
        report = import_areas(user, file, file.name, dry_run=dry_run, options=options)
    except DomainError as exc:
        _fail(exc.message, file.name, "areas", dry_run, as_json)
    if not as_json and report.ok:
        verb = "would change" if dry_run else "changed"
        counts = f"{report.added} added, {report.renamed} renamed, {report.published} published names recorded"
        click.echo(f"{verb} {report.changed} areas ({counts})")
    _finish(report, as_json)


@import_group.command("users")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file; create no user and generate no password.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (the area report's shape plus 'users').")
@click.option(
    "--passwords-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the one-time passwords to this CSV (username,password) instead of the report.",
)
@read_options
@with_appcontext
def import_users_command(
    file: Path, dry_run: bool, as_json: bool, passwords_out: Path | None, options: ReadOptions
) -> None:
    """Create the users of FILE (用户名, 姓名, 角色, 区域代码, 手机), each with a one-time password."""
    from coopapp.imports.users import import_users

    # The passwords file is opened before any user is made: a path that cannot be written is
    # refused while nothing is created, never after the users exist with their passwords lost.
    out = _open_passwords(passwords_out) if passwords_out is not None and not dry_run else None
    try:
        report = import_users(None, file, file.name, dry_run=dry_run, options=options)
    except BaseException:
        _discard(out, passwords_out)
        raise
    if out is not None and report.imported:
        _write_passwords(out, report.users)
        report.users = []
    else:
        _discard(out, passwords_out)
    if not as_json and report.ok:
        verb = "would create" if dry_run else "created"
        click.echo(f"{verb} {report.created if report.imported else report.rows_ok} users")
        if out is not None and report.imported:
            click.echo(f"one-time passwords written to {passwords_out}")
        for row in report.users:
            click.echo(f"{row['username']}\t{row['one_time_password']}")
    _finish(report, as_json)


def _open_passwords(path: Path):
    """The passwords CSV, created readable by the operator only (a click error when it cannot be)."""
    import os

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as err:
        raise click.ClickException(f"cannot write {path}: {err.strerror}; no user was created") from None
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def _discard(out, path: Path | None) -> None:
    """Close and remove a passwords file that got no passwords."""
    if out is not None:
        out.close()
        path.unlink(missing_ok=True)


def _write_passwords(out, users: list[dict]) -> None:
    """username,password per line."""
    import csv

    with out:
        writer = csv.writer(out)
        writer.writerow(["username", "password"])
        writer.writerows([row["username"], row["one_time_password"]] for row in users)


@import_group.command("cleanup")
@click.option("--max-age-hours", type=float, default=None, help="Default: IMPORT_UPLOAD_MAX_AGE_HOURS (24).")
@with_appcontext
def cleanup_command(max_age_hours: float | None) -> None:
    """Delete uploads of the import pages that were never confirmed and are older than the limit."""
    from coopapp.imports.storage import sweep_abandoned

    click.echo(f"deleted {len(sweep_abandoned(max_age_hours))} abandoned uploads")
