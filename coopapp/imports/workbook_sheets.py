"""The sheets of a workbook: which one an import reads, and what reading it finds.

A workbook lists its sheets in `xl/workbook.xml` (name, state: visible, hidden or veryHidden) and
says which tab it opens on (`<workbookView activeTab>`); its relationships say which are worksheets
and which are charts. The import reads the tab the workbook opens on, skipping hidden and chart
sheets, unless the user names another (`choose_sheet`). While the sheet is read, `SheetRead` notes
the hidden rows (left out unless included), the hidden columns and the formulas that add rows up,
which the totals check needs.
"""

import re
from dataclasses import dataclass, field

MAX_COLUMN = 16_384  # XFD (as xlsx.MAX_COLUMN)


@dataclass(frozen=True)
class SheetEntry:
    """A sheet as the workbook lists it: its tab's name, its state (visible, hidden, veryHidden), its
    part and its kind (the relationship's type: worksheet, chartsheet, dialogsheet …)."""

    name: str
    state: str
    path: str
    kind: str

    @property
    def visible_worksheet(self) -> bool:
        return self.kind == "worksheet" and self.state not in ("hidden", "veryHidden")


class NoSuchSheet(ValueError):
    """The sheet asked for is not a worksheet of the workbook (or the workbook shows none):
    `wanted` the name asked for (None: none was), `names` the visible worksheets."""

    def __init__(self, wanted: str | None, names: list[str]):
        super().__init__(f"no worksheet {wanted!r}; the workbook has {names}")
        self.wanted, self.names = wanted, names


def choose_sheet(entries: list[SheetEntry], active: int, wanted: str | None) -> SheetEntry:
    """The worksheet to read: the one named `wanted` (spaces around it ignored; a hidden worksheet may
    be named), else the active tab when it is a visible worksheet, else the first visible worksheet.
    NoSuchSheet when there is none."""
    names = [entry.name for entry in entries if entry.visible_worksheet]
    if wanted is not None:
        for entry in entries:
            if entry.kind == "worksheet" and entry.name.strip() == wanted.strip():
                return entry
        raise NoSuchSheet(wanted, names)
    if 0 <= active < len(entries) and entries[active].visible_worksheet:
        return entries[active]
    for entry in entries:
        if entry.visible_worksheet:
            return entry
    raise NoSuchSheet(None, names)


# Hidden rows listed at most (the rest are counted): a list the report and the page can show.
MAX_LISTED_HIDDEN = 10_000
_AGGREGATE = re.compile(r"\b(SUM|SUBTOTAL|AGGREGATE)\s*\(", re.I)


@dataclass
class SheetRead:
    """What the caller asks of the sheet (`sheet`: its name, None for the one the workbook opens on;
    `include_hidden`: hidden rows are data) and what reading it finds: the sheet read (`name`), the
    visible worksheets (`names`), the hidden rows that hold something (`hidden_rows`, the first
    MAX_LISTED_HIDDEN; `hidden_count` all of them), the hidden columns, and the formulas that add up
    (SUM, SUBTOTAL, AGGREGATE) of the rows read lately: `sums[row][column]` (the rows of one piece
    of the sheet; earlier ones are forgotten as the reading goes on)."""

    sheet: str | None = None
    include_hidden: bool = False
    name: str | None = None
    names: list[str] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)
    hidden_set: set[int] = field(default_factory=set)
    hidden_count: int = 0
    hidden_columns: list[tuple[int, int]] = field(default_factory=list)
    sums: dict[int, dict[int, str]] = field(default_factory=dict)

    def keep_hidden(self, number: int, cells) -> bool:
        """A hidden row is read: note it if it holds anything, and say whether it is data."""
        if any(c is not None and not (isinstance(c, str) and not c.strip()) for c in cells):
            self.hidden_count += 1
            if len(self.hidden_rows) < MAX_LISTED_HIDDEN:
                self.hidden_rows.append(number)
                self.hidden_set.add(number)
        return self.include_hidden

    def hide_columns(self, first: str | None, last: str | None) -> None:
        """`<col min max hidden="1">`: columns first..last (1-based) are hidden."""
        if first and first.isdigit():
            low = int(first)
            high = int(last) if last and last.isdigit() else low
            self.hidden_columns.append((low - 1, min(high, MAX_COLUMN) - 1))

    def column_hidden(self, index: int) -> bool:
        """Is the column (0-based) hidden?"""
        return any(low <= index <= high for low, high in self.hidden_columns)

    def add_sum(self, number: int, column: int, formula: str) -> None:
        self.sums.setdefault(number, {})[column] = formula

    def forget_sums(self, last: int) -> None:
        """The rows up to `last` are read: their formulas are no longer needed."""
        for number in [n for n in self.sums if n <= last]:
            del self.sums[number]


def adds_up(formula: str) -> bool:
    """Does a formula add rows up (SUM, SUBTOTAL, AGGREGATE)? Those are kept for the totals check."""
    return _AGGREGATE.search(formula) is not None


# A reference to this sheet's cells: A1, $G$4:G20, or whole columns G:G (another sheet's, after a
# "!", is told apart by the group before it).
_REFERENCE = re.compile(
    r"(?<![A-Za-z0-9_.$])(!?)\$?[A-Za-z]{1,3}\$?([0-9]+)(?::\$?[A-Za-z]{1,3}\$?([0-9]+))?(?![A-Za-z0-9_(])"
    r"|(?<![A-Za-z0-9_.$])(!?)\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}(?![A-Za-z0-9_(])"
)
_SUBTOTAL = re.compile(r"^\s*=?\s*SUBTOTAL\s*\(", re.I)
# AGGREGATE(function, options, …): options 1, 3, 5 and 7 leave hidden rows out; 0, 2, 4 and 6 count them.
_AGGREGATE_VISIBLE = re.compile(r"^\s*=?\s*(?:_xlfn\.)?AGGREGATE\s*\(\s*[0-9]+\s*,\s*[1357]\s*[,)]", re.I)
_QUOTED_TEXT = re.compile(r'"[^"]*"')


def counts_visible_only(formula: str) -> bool:
    """Does a total's formula count the visible rows only? SUBTOTAL does (109 leaves out every hidden
    row, 9 the rows a filter hides — Excel's AutoSum under a filter; a row hidden by hand under a
    SUBTOTAL(9) then shows as a total that differs), and AGGREGATE with options 1, 3, 5 or 7; SUM
    and the other AGGREGATEs count every row of their range, hidden or not."""
    return _SUBTOTAL.match(formula) is not None or _AGGREGATE_VISIBLE.match(formula) is not None


def hidden_rows_counted(formula: str, hidden: list[int]) -> list[int]:
    """The hidden rows a total's formula counts: those inside one of its ranges of this sheet
    (none for a SUBTOTAL or AGGREGATE)."""
    if not hidden or counts_visible_only(formula):
        return []
    spans = []
    for match in _REFERENCE.finditer(_QUOTED_TEXT.sub("", formula)):
        if match[2]:
            if not match[1]:
                low, high = int(match[2]), int(match[3] or match[2])
                spans.append((min(low, high), max(low, high)))
        elif not match[4]:
            spans.append((1, 1 << 30))
    return [row for row in hidden if any(low <= row <= high for low, high in spans)]
