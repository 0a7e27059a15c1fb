"""Merged cells over data rows: the value Excel shows across the merge is each row's value.

Accountants merge a 类别 or 日期 (or 摘要, 户主 …) cell over the rows that share it. Excel keeps the
value in the merge's top-left cell only; the rows below hold nothing there (or a stale value Excel
does not show). `fill_merges` gives every data row of a vertical merge the top-left value in the
merge's first column, and says so in a warning naming the merge. A merge over a number column
(金额, 数量, 人口) is ambiguous — one amount for several rows, or the total of them? — and is
refused with a message. Merges in the title and the header rows are left alone; a row with
nothing but the cells of merges from above is a blank row and stays blank.
"""

from collections.abc import Iterator

from flask_babel import gettext as _

from coopapp.imports.header import Header
from coopapp.imports.layout import Merge
from coopapp.imports.parse import cell_text

# The columns whose merged cells are refused: one number over several rows says nothing for each
# (one amount, or their total?); one 户主 over several rows of a roster would register it each time.
REFUSED = ("amount", "quantity", "members", "head_name", "id_number")


def fill_merges(
    rows: Iterator[tuple[int, tuple]], report, header: Header, refused: tuple[str, ...] = REFUSED
) -> Iterator[tuple[int, tuple]]:
    """The rows after the header with each vertical merge's value filled down (and its warning
    given); the rows unchanged when the sheet has no such merge. A merge over a `refused` column
    (金额, 数量, 人口; a roster's 户主 and 身份证号码) is an error on the report (the file is refused)."""
    fields = {col.index: name for name, col in header.columns.items()}
    merges = []
    for merge in report.layout.merges:
        if merge.top <= header.row or merge.bottom == merge.top:
            continue  # a title's or the header's merge, or one across a single row
        if not any(c in fields for c in range(merge.left, merge.right + 1)):
            continue  # over columns the import does not read
        bad = next((fields[c] for c in range(merge.left, merge.right + 1) if fields.get(c) in refused), None)
        if bad is not None:
            message = _(
                "%(ref)s 合并单元格在「%(col)s」列：这一列不能合并（不知道属于哪一行），请取消合并、每行分别填写后再导入。",
                ref=merge.ref,
                col=header.header_text(bad),
            )
            report.error(merge.top, header.header_text(bad), merge.ref, message)
        else:
            merges.append(merge)
    if not merges:
        return rows
    # Excel never overlaps merges; a file that does is not one it saved (and at most one merge
    # per column is then open at a row, which keeps the filling's work per row small).
    by_column = sorted(merges, key=lambda m: (m.left, m.top))
    for before, merge in zip(by_column, by_column[1:], strict=False):
        if merge.left == before.left and merge.top <= before.bottom:
            message = _(
                "合并单元格 %(a)s 与 %(b)s 重叠：这不是 Excel 保存的文件，请在 Excel 中打开、另存后再导入。",
                a=before.ref,
                b=merge.ref,
            )
            report.error(
                merge.top, header.header_text(fields[merge.left]) if merge.left in fields else None, merge.ref, message
            )
            return rows
    return _filled(rows, report, header, fields, sorted(merges, key=lambda m: m.top))


def _filled(rows, report, header: Header, fields: dict, merges: list[Merge]):
    waiting, active = 0, []  # merges[waiting:] start below the row read
    values: dict[int, object] = {}  # id of a merge → its top-left value
    warned: set[int] = set()
    for number, cells in rows:
        while waiting < len(merges) and merges[waiting].top <= number:
            active.append(merges[waiting])
            waiting += 1
        if active:
            active = [m for m in active if m.bottom >= number]
            if active:
                cells = _fill(number, cells, active, values, warned, report, header, fields)
        yield number, cells


def _fill(number, cells, active, values, warned, report, header, fields):
    """A row inside merges: the top row gives each merge its value, a row below takes it."""
    for merge in active:
        if merge.top == number:
            values[id(merge)] = cells[merge.left] if merge.left < len(cells) else None
    # The cells merges from above cover (a merge starting here keeps its own top-left value, which
    # Excel shows: that row is not blank).
    covered = {c for m in active for c in range(m.left, m.right + 1)} - {m.left for m in active if m.top == number}
    if all(c is None or isinstance(c, str) and not c.strip() for i, c in enumerate(cells) if i not in covered):
        return cells  # nothing but what the merges cover: a blank row
    row = list(cells)
    for merge in active:
        value = values.get(id(merge)) if merge.top != number else None
        if value is None:
            continue
        if merge.left >= len(row):
            row += [None] * (merge.left - len(row) + 1)
        row[merge.left] = value
        if id(merge) not in warned:
            warned.add(id(merge))
            name = fields.get(merge.left)
            column = header.header_text(name) if name else None
            message = _("%(ref)s 合并单元格：已按每行填入「%(value)s」", ref=merge.ref, value=cell_text(value))
            report.warn(merge.top, column, cell_text(value), message)
    return tuple(row)
