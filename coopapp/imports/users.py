"""Import users from a sheet: username, display name, role, area, phone — each with a one-time password.

Columns as people write them (用户名, 姓名, 角色, 区域代码, 手机; username, name, display name,
role, area code, phone); roles by code or Chinese name (会计, 村书记, 审核员…). Every row is
checked first (inside the importing admin's scope, no role above theirs, no duplicate name in
the file or the system) and any bad row writes nothing. A dry run generates no passwords.
"""

from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from coopapp.access.users import UserInput, checked_input, create_user
from coopapp.core.tx import atomic
from coopapp.errors import DomainError
from coopapp.imports.header import unreadable
from coopapp.imports.options import ReadOptions
from coopapp.imports.parse import ImportFileError, cell_text
from coopapp.imports.read import file_sha256
from coopapp.imports.report import ImportReport, RollBack
from coopapp.imports.table import open_table, rows_of
from coopapp.models import User

USER_HEADERS = {
    **dict.fromkeys(("用户名", "账号", "帐号", "登录名", "username", "user_name", "login"), "username"),
    **dict.fromkeys(("姓名", "名字", "显示名", "name", "displayname", "display_name"), "display_name"),
    **dict.fromkeys(("角色", "岗位", "role"), "role"),
    **dict.fromkeys(("区域代码", "区域", "区划代码", "所属区域", "areacode", "area_code", "area"), "area"),
    **dict.fromkeys(("手机", "手机号", "电话", "联系电话", "phone", "mobile"), "phone"),
}
COLUMN = {"username": "用户名", "display_name": "姓名", "role": "角色", "area": "区域代码", "phone": "手机"}
REQUIRED = ("username", "role", "area")


@dataclass
class UserImportReport(ImportReport):
    """An import report that also lists each created user's one-time password (never on a dry run)."""

    created: int = 0
    users: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {**super().as_dict(), "created": self.created, "users": list(self.users)}


@dataclass
class _Row:
    number: int
    data: UserInput


def import_users(
    actor: User | None,
    path: Path,
    file_name: str,
    *,
    dry_run: bool = False,
    preview_limit: int = 0,
    options: ReadOptions | None = None,
) -> UserImportReport:
    """Check every row and, when all are good and this is not a dry run, create the users.

    `actor`: the importing admin (None: the command line). The preview lists up to
    `preview_limit` rows: row, username, display_name, role, area, phone.
    """
    report = UserImportReport(
        "users", file_name, dry_run, preview_limit=preview_limit, options=options or ReadOptions()
    )
    try:
        rows = _check(actor, Path(path), report)
        _write(actor, rows, report)
    except RollBack:
        report.users.clear()
    return report


@atomic  # (writes nothing: ends the reading transaction)
def _check(actor: User | None, path: Path, report: UserImportReport) -> list[tuple]:
    """Read and check the whole list, without a write or a lock: its rows, each with the header
    (RollBack if any is bad or this is a dry run)."""
    try:
        table = open_table(path, report.file_name, report, USER_HEADERS)
        header = table.header
        missing = [COLUMN[name] for name in REQUIRED if not header.has(name)]
        if missing:
            raise ImportFileError(_("第 %(r)s 行的表头缺少列：%(cols)s。", r=header.row, cols="、".join(missing)))
        rows = rows_of(table, report)
        report.sha256 = file_sha256(path)
        parsed = _read(actor, report, header, rows)
    except ImportFileError as exc:
        report.error(None, None, report.file_name, str(exc))
        raise RollBack from None
    if report.ok and not parsed:
        report.error(None, None, report.file_name, _("文件中没有可导入的数据行。"))
    if not report.ok or report.dry_run:
        raise RollBack
    return [(row, header) for row in parsed]


@atomic
def _write(actor: User | None, rows: list, report: UserImportReport) -> None:
    """Create the users, in one transaction, through `create_user` (which checks each again against
    the users as they are now, e.g. a username taken meanwhile); any refusal writes nothing."""
    for row, header in rows:
        try:
            user, password = create_user(actor, row.data)
        except DomainError as exc:
            _refused(report, header, row.number, row.data, exc.fields or {"username": exc.message})
            continue
        report.users.append({"username": user.username, "one_time_password": password})
    if not report.ok:
        raise RollBack
    report.created = len(report.users)
    report.imported = True


def _read(actor: User | None, report: UserImportReport, header, rows) -> list[_Row]:
    parsed: list[_Row] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        if unreadable(report, header, number, cells, ("phone", "area")):
            continue
        values = header.values(cells)
        data = UserInput(*(cell_text(values.get(name)) for name in COLUMN))
        data.display_name = _raw(header, cells, "display_name")
        before = report.error_count
        key = data.username.strip()
        if key in seen:
            message = _("用户名重复：与第 %(r)s 行相同。", r=seen[key])
            report.error(number, header.header_text("username"), key, message)
        seen.setdefault(key, number)
        _values, problems = checked_input(actor, data)
        _refused(report, header, number, data, problems)
        if report.error_count > before:
            continue
        parsed.append(_Row(number, data))
        report.rows_ok += 1
        report.show({"row": number, **{name: getattr(data, name) or "" for name in COLUMN}})
    return parsed


def _raw(header, cells: tuple, name: str) -> str:
    """A cell as written (only spaces stays only spaces, so the check can name it)."""
    column = header.columns.get(name)
    value = cells[column.index] if column is not None and column.index < len(cells) else None
    return "" if value is None else str(value)


def _refused(report: UserImportReport, header, number: int, data: UserInput, problems: dict) -> None:
    for name, message in problems.items():
        column = header.header_text(name) if header.has(name) else COLUMN.get(name, name)
        report.error(number, column, getattr(data, name, "") or "", message)
