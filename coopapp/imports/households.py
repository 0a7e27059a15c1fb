"""Import a household roster from a file: every row checked, all or nothing.

A village's roster (`--village`), or a whole county's in one file (`county=True`): then a 村
column names each row's village by its code or its name.
"""

from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from coopapp.access.scope import authorize
from coopapp.core.money import ParseError
from coopapp.core.text import parse_int
from coopapp.core.tx import atomic
from coopapp.errors import Invalid
from coopapp.extensions import db
from coopapp.imports.header import unreadable
from coopapp.imports.options import ReadOptions
from coopapp.imports.parse import ImportFileError, cell_text, squash
from coopapp.imports.report import ImportReport, RollBack
from coopapp.imports.table import open_table, rows_of
from coopapp.imports.write import ChunkedWriter, changed_meanwhile, check_not_imported, close_batch, new_batch
from coopapp.ledger.locks import lock_village
from coopapp.models import Area, Household, User
from coopapp.villages import catalog

HOUSEHOLD_HEADERS = {
    **dict.fromkeys(("户主", "户主姓名", "姓名", "head", "headname", "head_name", "name"), "head_name"),
    **dict.fromkeys(("人口", "家庭人口", "人口数", "户人口", "members", "membercount"), "members"),
    **dict.fromkeys(("村民小组", "小组", "组", "组别", "所属小组", "group", "groupcode", "group_code"), "group"),
    **dict.fromkeys(("电话", "联系电话", "手机", "手机号", "phone", "tel"), "phone"),
    **dict.fromkeys(("身份证号", "身份证号码", "身份证", "idnumber", "id_number", "id"), "id_number"),
    **dict.fromkeys(("脱贫户", "是否脱贫户", "formerlypoor", "formerly_poor"), "formerly_poor"),
    **dict.fromkeys(("监测户", "是否监测户", "monitored"), "monitored"),
    **dict.fromkeys(("村", "行政村", "村名", "村代码", "所属村", "village", "villagecode", "village_code"), "village"),
}
AMBIGUOUS = object()  # a village name two villages of the county share
YES = {"是", "√", "✓", "✔", "y", "yes", "true", "1", "x"}
NO = {"", "否", "×", "n", "no", "false", "0", "-", "—"}
FIELD_COLUMNS = {"head_name": "head_name", "members": "members", "group_code": "group", "phone": "phone"}
FIELD_COLUMNS |= {"id_number": "id_number"}


def default_importer(village: Area) -> User | None:
    """The secretary of the village who owns command-line roster imports (the first one)."""
    q = select(User).where(User.role == "secretary", User.area_id == village.id, User.active.is_(True))
    return db.session.scalars(q.order_by(User.id)).first()


def import_households(
    user: User,
    village: Area,
    path: Path,
    file_name: str,
    *,
    dry_run: bool = False,
    preview_limit: int = 0,
    county: bool = False,
    options: ReadOptions | None = None,
) -> ImportReport:
    """Check every row of a roster and, when all are good and this is not a dry run, register the households.

    county: `village` is the county and each row names its village in a 村 column (an admin's import)."""
    report = ImportReport(
        "households", file_name, dry_run, preview_limit=preview_limit, options=options or ReadOptions()
    )
    try:
        rows = _check(user, village, Path(path), report, county)
        if rows is not None:
            _write(user, village, rows, report)
    except RollBack:
        pass
    return report


# A checked household as the checking pass keeps it (a tuple: the file may list a county's roster).
KEPT = ("village_id", "group_id", "head_name", "members", "phone", "id_number", "formerly_poor", "monitored")


@atomic  # (writes nothing: ends the reading transaction)
def _check(user: User, village: Area, path: Path, report: ImportReport, county: bool) -> list[tuple] | None:
    """Read and check the whole roster, without a write or a lock: the households (`KEPT` tuples),
    or None (a dry run, or a file with bad rows: the report says which)."""
    authorize(user, "manage_areas" if county else "manage_village", village)
    kept: list[tuple] = []
    try:
        table = open_table(path, report.file_name, report, HOUSEHOLD_HEADERS)  # checks size, type and zip bombs first
        header = table.header
        for name, label in (("head_name", "户主"), ("village", "村")) if county else (("head_name", "户主"),):
            if not header.has(name):
                raise ImportFileError(_("第 %(r)s 行的表头缺少列：%(cols)s。", r=header.row, cols=label))
        rows = rows_of(table, report)
        check_not_imported("households", village.id, path, report)
        villages = _villages(village) if county else None
        _read_households(report, header, rows, village, None if report.dry_run else kept, villages)
    except ImportFileError as exc:
        report.error(None, None, report.file_name, str(exc))
        raise RollBack from None
    if report.rows_ok == 0 and report.ok:
        report.error(None, None, report.file_name, _("文件中没有可导入的数据行。"))
    return kept if report.ok and not report.dry_run else None


@atomic
def _write(user: User, target: Area, kept: list[tuple], report: ImportReport) -> None:
    """Register the checked households as one batch, in one transaction, after checking again under
    the target's lock that no ID number of the file was registered meanwhile."""
    lock_village(target.id)  # (the village's, or the county's for a county roster)
    numbers = [row[5] for row in kept if row[5] is not None]
    for start in range(0, len(numbers), 5_000):
        q = select(Household.id).where(Household.id_number.in_(numbers[start : start + 5_000]))
        if db.session.scalar(q.limit(1)) is not None:
            changed_meanwhile(report, _("导入期间有身份证号码已登记在另一户。"))
    batch = new_batch(user, "households", target.id, report)
    writer = ChunkedWriter(user, "household.create", {"import_batch": batch.id})
    for row in kept:
        writer.add(Household(**dict(zip(KEPT, row, strict=True))))
    writer.flush()
    close_batch(user, batch, report)


def _villages(county: Area) -> dict:
    """Village code or name (squashed, published name too) → the county's village in use
    (AMBIGUOUS for a name two villages share); a retired village's (撤销, 撤并) code or name that no
    village in use has → `Retired`, so the row is told why."""
    q = select(Area).where(Area.level == "village", Area.path.startswith(county.path))
    result: dict = {}
    retired: dict = {}
    for village in db.session.scalars(q.order_by(Area.retired, Area.code)):
        keys = {squash(village.code), squash(village.name), squash(village.published_name or "")} - {""}
        if village.retired:
            retired.update(dict.fromkeys(keys, Retired(village)))
            continue
        result[squash(village.code)] = village
        for name in keys - {squash(village.code)}:
            result[name] = AMBIGUOUS if result.get(name, village) is not village else village
    return {**retired, **result}


@dataclass(frozen=True)
class Retired:
    """A retired village named by a roster row."""

    village: Area


def _row_village(report, header, number, cells, villages: dict) -> Area | None:
    raw = header.value(cells, "village")
    village = villages.get(squash(cell_text(raw)))
    if village is AMBIGUOUS:
        report.error(number, header.header_text("village"), cell_text(raw), _("有两个村同名，请写村代码。"))
    elif isinstance(village, Retired):
        gone = village.village
        merged = db.session.get(Area, gone.merged_into_id).name if gone.merged_into_id is not None else None
        message = (
            _("%(n)s 已撤并到 %(m)s：请写 %(m)s。", n=gone.name, m=merged)
            if merged
            else _("%(n)s（%(c)s）已撤销，不能再登记农户。", n=gone.name, c=gone.code)
        )
        report.error(number, header.header_text("village"), cell_text(raw), message)
        return None
    elif village is None:
        report.error(number, header.header_text("village"), cell_text(raw), _("本县没有这个村（写村代码或村名）。"))
    else:
        return village
    return None


def _read_households(report: ImportReport, header, rows, village: Area, kept, villages: dict | None) -> None:
    """Check every data row (`table.rows_of`); while the file has no bad row, keep each household in
    `kept` (None: dry run).
    villages: a county's (from `_villages`): each row's village is its 村 cell's."""
    groups_of: dict[int, dict] = {}
    seen_ids: dict[str, int] = {}
    for number, cells in rows:
        if unreadable(report, header, number, cells, ("id_number", "phone")):
            continue
        row_village = village if villages is None else _row_village(report, header, number, cells, villages)
        if row_village is None:
            continue
        if row_village.id not in groups_of:
            groups_of[row_village.id] = _groups(row_village)
        household = _household_from_row(report, header, number, cells, row_village, groups_of[row_village.id], seen_ids)
        if household is None:
            continue
        report.rows_ok += 1
        if kept is not None and report.ok:
            kept.append(tuple(getattr(household, name) for name in KEPT))


def _groups(village: Area) -> dict[str, str]:
    """Group code or name (squashed) → group code, for the village's groups."""
    result: dict[str, str] = {}
    for code, name in db.session.execute(select(Area.code, Area.name).where(Area.parent_id == village.id)):
        result[squash(code)] = code
        result[squash(name)] = code
    return result


def _flag(value) -> bool:
    text = squash(value)
    if text in YES:
        return True
    if text in NO:
        return False
    raise ParseError(_("请填写“是”或“否”。"))


def _household_from_row(report, header, number, cells, village, groups, seen_ids) -> Household | None:
    before = report.error_count

    def bad(name: str, value, message) -> None:
        report.error(number, header.header_text(name), cell_text(value), message)

    head_name = cell_text(header.value(cells, "head_name"))
    members = 1
    raw_members = header.value(cells, "members")
    if raw_members is not None:
        count = parse_int(cell_text(raw_members).removesuffix("人"))  # 0–9 or full-width: not "²" nor "٣"
        if count is not None and 0 <= count <= 999:  # not a runaway number
            members = count
        else:
            bad("members", raw_members, _("家庭人口应为整数。"))
    group_code = None
    raw_group = header.value(cells, "group")
    if raw_group is not None:
        group_code = groups.get(squash(cell_text(raw_group)))
        if group_code is None:
            bad("group", raw_group, _("村民小组不属于本村。"))
    raw_id = header.value(cells, "id_number")
    id_number = cell_text(raw_id).upper() or None
    if id_number is not None:
        if id_number in seen_ids:
            bad("id_number", raw_id, _("与第 %(r)s 行的身份证号码重复。", r=seen_ids[id_number]))
        else:
            seen_ids[id_number] = number
    flags = {}
    for name in ("formerly_poor", "monitored"):
        raw = header.value(cells, name)
        try:
            flags[name] = _flag(raw) if raw is not None else False
        except ParseError as exc:
            bad(name, raw, exc)
    phone = cell_text(header.value(cells, "phone")) or None
    report.show(
        {
            "row": number,
            "head_name": head_name,
            "members": members,
            "group": cell_text(raw_group),
            "id_number": id_number,
            "phone": phone,
            "ok": report.error_count == before,
        }
    )
    if report.error_count > before:
        return None
    data = catalog.HouseholdInput(
        head_name=head_name,
        members=members,
        group_code=group_code,
        phone=phone,
        id_number=id_number,
        formerly_poor=flags["formerly_poor"],
        monitored=flags["monitored"],
    )
    household = Household()
    try:
        catalog.apply_household(household, data, village)
    except Invalid as exc:
        for field, message in exc.fields.items() or [("", exc.message)]:
            name = FIELD_COLUMNS.get(field, "")
            bad(name, header.value(cells, name) if name else None, message)
        if report.preview and report.preview[-1]["row"] == number:
            report.preview[-1]["ok"] = False
        return None
    return household
