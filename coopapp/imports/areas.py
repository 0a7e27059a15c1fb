"""Import the area tree: the NBS 统计用区划代码 table and a plain village-groups sheet.

An area list describes a state, not events: importing it again applies only what changed
(new places are added, renamed ones renamed, all audited); an unchanged list changes nothing.
Every row is checked first and any bad row writes nothing.
"""

from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select

from coopapp.core.codes import canonical_area_code, parent_area_code
from coopapp.core.tx import atomic
from coopapp.errors import DomainError
from coopapp.extensions import db
from coopapp.imports.header import unreadable
from coopapp.imports.options import ReadOptions
from coopapp.imports.parse import ImportFileError, cell_text, squash
from coopapp.imports.read import file_sha256
from coopapp.imports.report import ImportReport, RollBack
from coopapp.imports.table import open_table, rows_of
from coopapp.models import Area, User
from coopapp.villages.areas import AreaInput, checked_level, create_area, rename_area, shown_name

AREA_HEADERS = {
    **dict.fromkeys(("统计用区划代码", "区划代码", "行政区划代码", "代码", "编码", "code", "areacode"), "code"),
    **dict.fromkeys(("城乡分类代码", "城乡分类", "城乡代码"), "urban_rural"),
    **dict.fromkeys(("名称", "地名", "单位名称", "name"), "name"),
    **dict.fromkeys(("上级代码", "上级", "parentcode", "parent_code", "parent"), "parent"),
    **dict.fromkeys(("层级", "级别", "level"), "level"),
}
COLUMN = {"code": "统计用区划代码", "name": "名称", "parent": "上级代码", "level": "层级"}


@dataclass
class AreaImportReport(ImportReport):
    """An import report that also says how many areas were added, renamed, or only got their
    published name recorded (the shown name unchanged: 中洞村 kept, 中洞村委会 recorded — not a rename)."""

    changed: int = 0
    added: int = 0
    renamed: int = 0
    published: int = 0

    @property
    def preview_total(self) -> int:
        """The preview lists the rows that change something."""
        return self.changed

    @property
    def confirmable(self) -> bool:
        """A list with nothing to change has nothing to confirm."""
        return self.ok and self.changed > 0

    def as_dict(self) -> dict:
        counts = {"changed": self.changed, "added": self.added, "renamed": self.renamed, "published": self.published}
        return {**super().as_dict(), **counts}


@dataclass
class _Row:
    number: int
    code: str
    level: str
    name: str
    published_name: str | None
    parent_code: str | None
    column: str = COLUMN["code"]  # the code column's header as the row's part of the file writes it


def default_importer() -> User | None:
    """The first active admin of the widest scope (the county's, not a town's): the owner of
    command-line area imports."""
    q = (
        select(User)
        .join(Area, Area.id == User.area_id)
        .where(User.role == "admin", User.active.is_(True))
        .order_by(func.length(Area.path), User.id)
    )
    return db.session.scalars(q).first()


def import_areas(
    user: User,
    path: Path,
    file_name: str,
    *,
    dry_run: bool = False,
    preview_limit: int = 0,
    options: ReadOptions | None = None,
) -> AreaImportReport:
    """Check every row of an area list and, when all are good and this is not a dry run, apply what changed.

    With a `preview_limit`, the report's preview lists (up to that many) the rows that add or rename
    an area: row, code, name, level, old name and action ("add", "rename", or "published_name" when
    only the published name is new).
    """
    report = AreaImportReport(
        "areas", file_name, dry_run, preview_limit=preview_limit, options=options or ReadOptions()
    )
    try:
        rows = _check(Path(path), report)
        _write(user, rows, report)
    except RollBack:
        pass
    return report


@atomic  # (writes nothing: ends the reading transaction)
def _check(path: Path, report: AreaImportReport) -> list[_Row]:
    """Read and check the whole list, without a write or a lock: its good rows (RollBack if any is bad)."""
    try:
        table = open_table(path, report.file_name, report, AREA_HEADERS)
        header = table.header
        if not (header.has("code") and header.has("name")):
            raise ImportFileError(_("第 %(r)s 行的表头缺少列：%(cols)s。", r=header.row, cols="统计用区划代码、名称"))
        rows = rows_of(table, report, sections=True)  # (towns' and villages' pages pasted one after another)
        report.sha256 = file_sha256(path)
        parsed, coded = _read(report, header, rows)
    except ImportFileError as exc:
        report.error(None, None, report.file_name, str(exc))
        raise RollBack from None
    if report.ok and not parsed:
        report.error(None, None, report.file_name, _("文件中没有可导入的数据行。"))
    # The good rows' parents are checked even when other rows are bad: every problem in one round.
    # A bad row whose code could be read still counts as present, so its children are not blamed.
    _check_parents(report, parsed, coded)
    if not report.ok:
        report.errors.sort(key=lambda p: (p.row is None, p.row or 0))  # stable: a row's own problems stay in order
        raise RollBack
    return parsed


@atomic
def _write(user: User, rows: list[_Row], report: AreaImportReport) -> None:
    """Apply what changed, in one transaction, through the area operations (which check each change
    again against the tree as it is now); a dry run or a refused change writes nothing."""
    _apply(user, report, rows)
    if not report.ok or report.dry_run:
        raise RollBack
    report.imported = True


def _read(report: AreaImportReport, header, rows) -> tuple[list[_Row], set[str]]:
    """The good rows, by level then code, and the codes of every row whose code could be read."""
    parsed: dict[str, _Row] = {}
    coded: set[str] = set()
    for number, cells in rows:
        if unreadable(report, header, number, cells, ("code", "parent")):
            continue
        row = _row(report, header, number, cells, coded)
        if row is None:
            continue
        if row.code in parsed:
            report.error(
                number,
                header.header_text("code"),
                row.code,
                _("代码重复：与第 %(r)s 行相同。", r=parsed[row.code].number),
            )
            continue
        parsed[row.code] = row
        report.rows_ok += 1
    return sorted(parsed.values(), key=lambda r: (len(r.code), r.code)), coded


def _row(report: AreaImportReport, header, number: int, cells, coded: set[str]) -> _Row | None:
    values = header.values(cells)
    before = report.error_count

    def bad(name: str, value, exc: DomainError) -> None:
        report.error(
            number, header.header_text(name) if header.has(name) else COLUMN[name], cell_text(value), exc.message
        )

    code = parent = level = None
    try:
        code = canonical_area_code(values.get("code"), field="code")
        coded.add(code)
    except DomainError as exc:
        bad("code", values.get("code"), exc)
    published = cell_text(values.get("name"))
    if not published:
        report.error(number, header.header_text("name"), "", _("请填写名称。"))
    if values.get("parent") is not None:
        try:
            parent = canonical_area_code(values["parent"], field="parent")
        except DomainError as exc:
            bad("parent", values["parent"], exc)
    if code is not None:
        if parent is not None and parent != parent_area_code(code):
            message = _("上级代码应为 %(p)s（代码 %(c)s 的前几位）。", p=parent_area_code(code), c=code)
            report.error(number, header.header_text("parent"), parent, message)
        try:
            level = checked_level(squash(values.get("level")) or None, code)
        except DomainError as exc:
            bad("level", values.get("level"), exc)
    if report.error_count > before:
        return None
    column = header.header_text("code")
    if level == "group":
        return _Row(number, code, level, published, None, parent, column)
    return _Row(number, code, level, shown_name(published), published, parent, column)


def _check_parents(report: AreaImportReport, rows: list[_Row], in_file: set[str]) -> None:
    """Each row's parent is in the file (`in_file`: its codes) or in the tree, and not retired;
    the county is the one set up (each problem under the code column as the row's part names it)."""
    existing = {
        code: (retired, name) for code, retired, name in db.session.execute(select(Area.code, Area.retired, Area.name))
    }
    for row in rows:
        if row.level == "county":
            if row.code not in existing:
                report.error(
                    row.number, row.column, row.code, _("本县不是 %(c)s：县只能用 coop init 建立。", c=row.code)
                )
            continue
        parent = parent_area_code(row.code)
        retired, name = existing.get(parent, (False, ""))
        if parent in in_file and not retired:
            continue
        if parent not in existing:
            what = _("镇") if len(parent) == 9 else _("村") if len(parent) == 12 else _("县")
            report.error(
                row.number,
                row.column,
                row.code,
                _("上级%(w)s %(p)s 不存在（文件和系统中都没有）。", w=what, p=parent),
            )
        elif retired:
            report.error(row.number, row.column, row.code, _("上级区域已撤销：%(p)s %(n)s。", p=parent, n=name))


def _apply(user: User, report: AreaImportReport, rows: list[_Row]) -> None:
    existing = {a.code: a for a in db.session.scalars(select(Area))}
    for row in rows:
        try:
            area = existing.get(row.code)
            if area is None:
                data = AreaInput(row.code, row.name, row.level, None, row.published_name)
                existing[row.code] = create_area(user, data)
                report.added += 1
                report.show(_shown(row, "add", None))
            elif area.name != row.name:
                old_name = area.name
                rename_area(user, area, row.name, row.published_name)
                report.renamed += 1
                report.show(_shown(row, "rename", old_name))
            elif row.published_name is not None and area.published_name != row.published_name:
                # The shown name stands (the county as `coop init` typed it, a town added by hand):
                # the published name is recorded, which is not a rename.
                rename_area(user, area, row.name, row.published_name)
                report.published += 1
                report.show(_shown(row, "published_name", area.name))
        except DomainError as exc:
            field = next(iter(exc.fields), "code")
            report.error(row.number, COLUMN.get(field, field), row.code, exc.message)
    report.changed = report.added + report.renamed + report.published


def _shown(row: _Row, action: str, old_name: str | None) -> dict:
    return {
        "row": row.number,
        "code": row.code,
        "name": row.name,
        "published_name": row.published_name,
        "level": row.level,
        "old_name": old_name,
        "action": action,
        "ok": True,
    }
