"""A streaming reader of one sheet of an XLSX workbook (the one it opens on, or one named: see
`choose_sheet`): rows of cell values, as openpyxl's read-only mode gives them (strings, ints,
floats, bools, datetimes or times for date-formatted cells, timedeltas for durations), many
times faster.

Two deviations, on purpose: a formula's number, or a fraction under a number format that fixes
its decimals ("#,##0", "0.00"), is a `Figure` (a float that also says whether it is a formula and
the decimals its format shows: what Excel displays may not be the double); a formula without a
value (a file a program wrote, never calculated) is `NO_VALUE` (empty text) where openpyxl has
None. Number formats are `<numFmts>`' and the built-in ones only (never a conditional format's).

The sheet XML is read in 64 KB pieces straight from the zip member and rows are yielded as
they complete, so memory stays flat. The bytes expanded are counted and capped (see `limits`),
on top of `zipfile` never yielding more than a member's declared size.

Two readers share the work. The rows inside `<sheetData>` in the shapes Excel and openpyxl
write (`<row r="…">`, `<c r="…" s="…" t="…">` holding `<f>`, `<v>` or `<is><t>`,
self-closing cells and rows) are matched by one regular expression over the raw bytes and
converted with small caches: no Python call per XML element. Everything else — the parts
before and after `<sheetData>`, and any row in another shape (rich or phonetic text, prefixed
tags, cells without r=, comments, CDATA, odd attributes or references, a value that does not
convert) — goes to expat with Python callbacks (`_SheetParser`, the reader as it was), which
decides its values and its errors; if a row leaves expat anywhere but between rows, or most
rows need it, expat reads the rest of the file.

Hidden rows (`<row hidden="1">`) are left out unless asked for and noted, hidden columns noted,
and the formulas that add rows up kept for the rows being read (`SheetRead`): per row, not per cell.

A hostile workbook costs no more than its bytes (`Budget`): rows and columns stop at Excel's own
limits (1,048,576 rows, 16,384 columns: XFD); rows are yielded as the sheet has them, so a jump
from row 2 to row 1,000,000 costs nothing (the numbers say where the gaps are); the cells of all
rows together (blanks inside a row included), the shared strings' memory, the other parts' sizes
and the seconds spent are bounded, and past any bound the reader stops with XlsxLimit.
"""

import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic
from xml.etree import ElementTree
from xml.parsers import expat

from coopapp.imports.layout import MAX_MERGES, Layout, TooManyMerges, merges_of, table_totals
from coopapp.imports.package import Package, PartTooLarge, resolve
from coopapp.imports.workbook_sheets import NoSuchSheet, SheetEntry, SheetRead, adds_up, choose_sheet

READ_BYTES = 64 * 1024
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
# Built-in number formats that are dates or times (14–22, 45–47 everywhere; 27–36, 50–58 in CJK locales).
DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DATE_CODE = re.compile(r"[dmyhsDMYHS年月日时分秒]")
# Formats of durations, which openpyxl reads as timedelta: [h]:mm, [mm]:ss, [s] … (in the first section).
_DURATION_CODE = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)
DURATION_FORMAT_IDS = {46}  # [h]:mm:ss
# The decimals built-in number formats show (General, text, percentages, fractions and scientific aside).
BUILTIN_DECIMALS = {
    1: 0,
    2: 2,
    3: 0,
    4: 2,
    5: 0,
    6: 0,
    7: 2,
    8: 2,
    37: 0,
    38: 0,
    39: 2,
    40: 2,
    41: 0,
    42: 0,
    43: 2,
    44: 2,
}
_NOT_PLAIN = re.compile(r"[%/@]|[eE][+-]")


def is_duration_format(code: str) -> bool:
    """Does an Excel number format show a duration (elapsed hours, minutes or seconds in brackets)?"""
    return _DURATION_CODE.search(code.split(";")[0]) is not None


class XlsxError(ValueError):
    """The workbook cannot be read (a missing part, broken XML, too much expanded data)."""


# Excel's own limits: a reference beyond them is not one Excel wrote.
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384  # XFD
# The columns a row is read to: 1,024 (AMJ, as far as old spreadsheets went), far past any ledger or
# roster. A cell beyond is outside every table the imports read (a header there is not found) and
# is left out, so that one stray cell at XFD does not make a row of 16,384 cells.
READ_COLUMNS = 1_024
# The text one row may hold (Excel's cells hold 32,767 characters at most; rows the fast reader
# reads are under _CARRY_LIMIT bytes, so only a row left to expat can reach it).
MAX_ROW_TEXT = 16 * 1024 * 1024


class XlsxLimit(XlsxError):
    """The workbook goes past a limit (`Budget`, Excel's rows and columns): `kind` says which
    ("row", "column", "cells", "shared", "part", "seconds"), `value` what went past it and `limit` the bound."""

    def __init__(self, kind: str, value, limit):
        super().__init__(f"{kind} {value} past the limit {limit}")
        self.kind, self.value, self.limit = kind, value, limit


@dataclass(frozen=True)
class Budget:
    """What reading one workbook may cost: `cells` in all rows together (a row counts as wide as
    its last cell), the shared strings' memory (`shared_bytes`, as Python holds them), the size of
    each small part read whole (workbook, relationships, styles) and the `seconds` (None: no limit)."""

    cells: int = 50_000_000
    shared_bytes: int = 128 * 1024 * 1024
    part_bytes: int = 32 * 1024 * 1024
    seconds: float | None = None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def _parse_small(archive: zipfile.ZipFile, name: str, limit: int) -> ElementTree.Element | None:
    try:
        size = archive.getinfo(name).file_size
    except KeyError:
        return None
    if size > limit:
        raise XlsxLimit("part", (name, size), limit)
    return ElementTree.fromstring(archive.read(name))  # (zipfile reads no more than the size declared)


def _attr(element: ElementTree.Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def is_date_format(code: str) -> bool:
    """Does an Excel number format show a date or time (y, m, d, h, s outside quotes and brackets)?

    Its first section decides (that of positive numbers), as for openpyxl and python-calamine: in
    `[=0]?;[<4.17][hh]:mm:ss;[hh]:mm` (Apache POI's 57181.xlsm) the number stays a number."""
    return _DATE_CODE.search(_QUOTED.sub("", code.split(";")[0])) is not None


def format_decimals(code: str) -> int | None:
    """The decimals an Excel number format shows a positive number with ("#,##0.00" → 2, "#,##0" → 0),
    or None where it does not fix them: General, text, percentages, fractions, scientific notation."""
    first = _QUOTED.sub("", code).split(";")[0]
    if _NOT_PLAIN.search(first) or not any(ch in first for ch in "0#?"):
        return None
    _whole, point, fraction = first.partition(".")
    if not point:
        return 0
    return len(re.match(r"[0#?]*", fraction)[0])


class Figure(float):
    """A number cell whose stored double is not plainly what Excel shows: a formula's result
    (`formula`), or a fraction under a number format that fixes its `decimals` (None: General).
    It is a float for everything else (openpyxl reads a plain float)."""

    __slots__ = ("formula", "decimals")

    def __new__(cls, value: float, decimals: int | None, formula: bool):
        self = super().__new__(cls, value)
        self.formula, self.decimals = formula, decimals
        return self

    def __reduce__(self):
        return (Figure, (float(self), self.decimals, self.formula))


class Uncalculated(str):
    """A formula cell without a value: the workbook was written by a program and never calculated
    (openpyxl reads None). It is empty text, so a row of nothing else is blank."""

    __slots__ = ()


NO_VALUE = Uncalculated()


class Workbook:
    """The parts of a workbook needed to read one sheet's values: the sheet `read` names, else the
    one the workbook opens on (see `choose_sheet`)."""

    def __init__(
        self,
        archive: zipfile.ZipFile,
        budget: Budget | None = None,
        deadline: float | None = None,
        read: SheetRead | None = None,
    ):
        self.archive, self.budget, self.deadline = archive, budget or Budget(), deadline
        self.read = read if read is not None else SheetRead(include_hidden=True)
        try:
            self.package = Package(archive, self.budget.part_bytes)
            self.parts = self.package.parts()  # where the package says its parts are
        except PartTooLarge as exc:
            raise XlsxLimit("part", (exc.name, exc.size), exc.limit) from None
        workbook = _parse_small(archive, self.parts.workbook, self.budget.part_bytes)
        if workbook is None:
            raise XlsxError(f"{self.parts.workbook} is missing")
        self.epoch = _EPOCH_1900
        listed, active = [], None
        for element in workbook.iter():
            tag = _local(element.tag)
            if tag == "workbookPr" and _attr(element, "date1904") in ("1", "true"):
                self.epoch = _EPOCH_1904
            elif tag == "workbookView" and active is None:
                active = element.get("activeTab", "0")
            elif tag == "sheet":
                listed.append((element.get("name", ""), element.get("state", "visible"), _attr(element, "id")))
        self.sheets = self._sheets(listed)
        chosen = choose_sheet(self.sheets, int(active) if active and active.isdigit() else 0, self.read.sheet)
        self.read.name = chosen.name
        self.read.names = [entry.name for entry in self.sheets if entry.visible_worksheet]
        self.sheet_path = chosen.path
        self.shared = self._shared_strings()
        self.date_styles, self.duration_styles, self.decimals = self._styles()

    def _sheets(self, listed: list[tuple[str, str, str | None]]) -> list[SheetEntry]:
        """The workbook's sheets in its order, each with its part and kind (from the relationships the
        package gives: a part may be anywhere, its name in any case)."""
        targets = {rid: (target, kind) for rid, kind, target in self.package.relationships(self.parts.workbook)}
        entries = []
        for index, (name, state, rid) in enumerate(listed):
            path, kind = targets.get(rid or "", ("", "worksheet"))
            entries.append(SheetEntry(name, state, path or self._guessed(index + 1), kind))
        return entries or [SheetEntry("", "visible", self._guessed(1), "worksheet")]

    def _guessed(self, number: int) -> str:
        """Where Excel would put the workbook's sheet `number` when no relationship names it."""
        part = resolve(self.parts.workbook, f"worksheets/sheet{number}.xml")
        return self.package.member(part) or part

    def _shared_strings(self) -> list[str]:
        if self.parts.shared_strings is None:
            return []
        member = self.archive.open(self.parts.shared_strings)
        table = _SharedStrings(self.budget.shared_bytes)
        with member:
            while chunk := member.read(READ_BYTES):
                table.parser.Parse(chunk, False)
                table.check()
                _check_time(self.deadline, self.budget)
            table.parser.Parse(b"", True)
        return table.strings

    def _styles(self) -> tuple[set[str], set[str], dict[str, int]]:
        """The cell styles (`s` attributes, as written) that show numbers as dates (or times),
        those of them that show durations, and the decimals the others' number formats fix (styles
        whose format does not: General, text, percentages… are left out). The formats are
        `<numFmts>`' and the built-in ones: a conditional format's (`<dxfs>`) never counts."""
        styles = _parse_small(self.archive, self.parts.styles, self.budget.part_bytes) if self.parts.styles else None
        if styles is None:
            return set(), set(), {}
        custom = {
            int(fmt.get("numFmtId", "0")): fmt.get("formatCode", "")
            for element in styles
            if _local(element.tag) == "numFmts"
            for fmt in element
            if _local(fmt.tag) == "numFmt"
        }
        dates, durations, decimals = set(), set(), {}
        for element in styles:
            if _local(element.tag) != "cellXfs":
                continue
            for index, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
                fmt, style = int(xf.get("numFmtId", "0")), str(index)
                if fmt in custom:
                    if is_duration_format(custom[fmt]):
                        durations.add(style)
                    if is_date_format(custom[fmt]):
                        dates.add(style)
                    elif (shown := format_decimals(custom[fmt])) is not None:
                        decimals[style] = shown
                elif fmt in DATE_FORMAT_IDS:
                    dates.add(style)
                    if fmt in DURATION_FORMAT_IDS:
                        durations.add(style)
                elif fmt in BUILTIN_DECIMALS:
                    decimals[style] = BUILTIN_DECIMALS[fmt]
        return dates | durations, durations, decimals

    def date_kind(self, style: str | None) -> str | None:
        """ "date" for a style that shows numbers as dates or times, "duration" for elapsed time."""
        if style in self.date_styles:
            return "duration" if style in self.duration_styles else "date"
        return None

    @property
    def date1904(self) -> bool:
        """Does the workbook count its dates from 1904 (Mac Excel's date system)?"""
        return self.epoch is _EPOCH_1904

    def from_serial(self, value: float) -> datetime | time | float:
        """A date-styled number as openpyxl reads it: to the millisecond; a time of day for a
        value below 1; Excel's phantom 1900-02-29 skipped for serials below 60. A number no date
        can hold (past 9999-12-31, which Excel shows as ####) stays the number, as python-calamine
        reads it: the row that holds it is refused, not the whole file (calamine's issue139.xlsx)."""
        day, fraction = divmod(value, 1)
        diff = timedelta(milliseconds=round(fraction * 86_400_000))
        if 0 <= value < 1 and diff.days == 0:
            return (datetime.min + diff).time()
        if self.epoch is _EPOCH_1900 and 0 < value < 60:
            day += 1
        try:
            return self.epoch + timedelta(days=day) + diff
        except OverflowError:
            return value


class _SharedStrings:
    """expat callbacks that collect the shared strings (the text of <t>, phonetic guides left out),
    counting the memory they take: `check` raises XlsxLimit past `limit` bytes."""

    def __init__(self, limit: int):
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.collecting = self.phonetic = False
        self.size = self.pending = 0
        self.limit = limit
        self.parser = parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler = self.start, self.end
        parser.CharacterDataHandler = self.data

    def start(self, tag: str, attrs: dict) -> None:
        tag = tag.rpartition(":")[2]
        if tag == "si":
            self.parts, self.pending = [], 0
        elif tag == "t":
            self.collecting = not self.phonetic
        elif tag == "rPh":  # a phonetic guide: not part of the text
            self.phonetic = True

    def end(self, tag: str) -> None:
        tag = tag.rpartition(":")[2]
        if tag == "t":
            self.collecting = False
        elif tag == "rPh":
            self.phonetic = False
        elif tag == "si":
            text = unescape("".join(self.parts))
            self.strings.append(text)
            self.size += sys.getsizeof(text) + 8  # the str and its place in the list
            self.parts, self.pending = [], 0

    def data(self, text: str) -> None:
        if self.collecting:
            self.parts.append(text)
            self.pending += len(text)

    def check(self) -> None:
        if self.size + self.pending > self.limit:
            raise XlsxLimit("shared", self.size + self.pending, self.limit)


def _check_time(deadline: float | None, budget: Budget) -> None:
    if deadline is not None and monotonic() > deadline:
        raise XlsxLimit("seconds", None, budget.seconds)


_COLUMNS: dict[str, int] = {}


def column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26 (cached); XlsxLimit past XFD, Excel's last column."""
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for ch in letters.upper():
            index = index * 26 + (ord(ch) - 64)
            if index > MAX_COLUMN:  # (stops at once on AAAAAAA…)
                raise XlsxLimit("column", letters[:16], MAX_COLUMN)
        index -= 1
        _COLUMNS[letters] = index
    return index


def _duration(value: float) -> timedelta:
    """A duration-styled number as openpyxl reads it (days; to the millisecond)."""
    result = timedelta(days=value)
    if result.microseconds:
        result = timedelta(seconds=result.total_seconds() // 1, microseconds=round(result.microseconds, -3))
    return result


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _escaped(match: re.Match) -> str:
    code = int(match[1], 16)
    if code < 0x20 and code not in (0x9, 0xA, 0xD) or code in (0xFFFE, 0xFFFF):
        return ""  # a control character XML cannot hold: Excel shows nothing, nothing is read
    return chr(code)


def unescape(text: str) -> str:
    """Text as Excel means it: its `_xHHHH_` escapes (UTF-16 code units: _x000D_ a carriage return,
    _x005F_ an underscore, which keeps a literal "_x0041_" from being read as "A") decoded, a
    surrogate pair joined, a lone surrogate read as U+FFFD (as PhpSpreadsheet reads its issue.4724.xlsx)
    and a control character XML cannot hold left out."""
    if "_x" not in text:
        return text
    text = _ESCAPE.sub(_escaped, text)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def cell_value(book: Workbook, kind: str | None, date_kind: str | None, text: str, decimals=None, formula=False):
    """A cell's value from its type (`t`), what its style shows (Workbook.date_kind), and its text;
    `decimals` its number format fixes and whether it holds a `formula` (see Figure, NO_VALUE)."""
    if not text and kind != "inlineStr":
        # A formula never calculated (<f>…</f> and no value, or <v/>); a calculated empty text is t="str".
        return NO_VALUE if formula and kind != "str" else None
    if kind is None or kind == "n":
        number = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
        if date_kind is None:
            if number.__class__ is float and (formula or decimals is not None):
                return Figure(number, decimals, formula)
            return number
        return _duration(number) if date_kind == "duration" else book.from_serial(number)
    if kind == "s":
        return book.shared[int(text)]
    if kind in ("inlineStr", "str", "e"):
        return unescape(text)
    if kind == "b":
        return text.strip() in ("1", "true")
    if kind == "d":
        return iso_value(text)
    return text


_ISO = re.compile(
    r"(?P<date>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))?T?"
    r"(?P<time>(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(?P<fraction>\.\d{1,3})?)?)?Z?"
)
_ISO_DURATION = re.compile(r"PT((?P<hours>\d+)H)?((?P<minutes>\d+)M)?((?P<seconds>\d+(\.\d{1,3})?)S)?")


def iso_value(text: str) -> datetime | date | time | timedelta:
    """A cell stored as an ISO 8601 date (t="d") as openpyxl reads it: a datetime, a date (no time),
    a time of day (no date) or a duration (PT1H30M). ValueError for anything else."""
    match = _ISO.match(text)
    if match and any(match.groups()):
        parts = {k: int(v) for k, v in match.groupdict().items() if v and k not in ("date", "time", "fraction")}
        micro = int(float(match["fraction"]) * 1_000_000) if match["fraction"] else 0
        if not match["date"]:
            return time(parts["hour"], parts["minute"], parts.get("second", 0), micro)
        if not match["time"]:
            return date(parts["year"], parts["month"], parts["day"])
        return datetime(**parts, microsecond=micro)
    match = _ISO_DURATION.match(text)
    if match and any(match.groups()):
        return timedelta(**{name: float(v) for name, v in match.groupdict().items() if v})
    raise ValueError(f"not an ISO 8601 date: {text[:40]}")


class _SheetParser:
    """expat callbacks that collect completed rows."""

    def __init__(self, book: Workbook):
        self.book, self.rows = book, []
        self.row_number, self.cells, self.row_text = 0, {}, 0
        self.cell_type = self.cell_style = None
        self.column = -1
        self.text: list[str] | None = None
        self.value_text = None
        self.formula = self.in_phonetic = False
        self.row_hidden = False
        self.depth, self.root = 0, None  # kept by the tracked_* callbacks only

    # The common (unprefixed) names are compared first; a prefixed one (x:c) is retried by its local name.

    def start(self, tag: str, attrs: dict) -> None:
        if tag == "c":
            ref = attrs.get("r")
            self.column = column_index(ref.rstrip("0123456789")) if ref else self.column + 1
            self.cell_type, self.cell_style = attrs.get("t"), attrs.get("s")
            self.value_text, self.formula = None, False
        elif tag == "v":
            self.text = []
        elif tag == "row":
            ref = attrs.get("r")
            self.row_number = int(ref) if ref else self.row_number + 1
            self.cells, self.column, self.row_text = {}, -1, 0
            self.row_hidden = attrs.get("hidden") in ("1", "true")
        elif tag == "f":
            self.text, self.formula = [], True
        elif tag == "col":
            if attrs.get("hidden") in ("1", "true"):
                self.book.read.hide_columns(attrs.get("min"), attrs.get("max"))
        elif tag == "t":
            if not self.in_phonetic:
                self.text = []
        elif tag == "is":
            self.value_text = ""
        elif tag == "rPh":
            self.in_phonetic = True
        elif ":" in tag:
            self.start(tag.rpartition(":")[2], attrs)

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)
            self.row_text += len(text)
            if self.row_text > MAX_ROW_TEXT:
                raise XlsxLimit("text", self.row_number, MAX_ROW_TEXT)

    def end(self, tag: str) -> None:
        if tag == "v":
            self.value_text, self.text = "".join(self.text or ()), None
        elif tag == "c":
            if self.value_text is not None:
                self.cells[self.column] = self.value()
            elif self.formula and self.cell_type != "str":
                self.cells[self.column] = NO_VALUE  # (no <v> at all)
        elif tag == "row":
            if not self.row_hidden or self.book.read.keep_hidden(self.row_number, self.cells.values()):
                self.rows.append((self.row_number, self.cells))
        elif tag == "f":
            formula, self.text = "".join(self.text or ()), None
            if adds_up(formula):
                self.book.read.add_sum(self.row_number, self.column, formula)
        elif tag == "t":
            if self.text is not None:
                self.value_text = (self.value_text or "") + "".join(self.text)
            self.text = None
        elif tag == "rPh":
            self.in_phonetic = False
        elif ":" in tag:
            self.end(tag.rpartition(":")[2])

    def tracked_start(self, tag: str, attrs: dict) -> None:
        """`start`, also keeping the depth (and the root's name) while the fast reader may resume."""
        self.depth += 1
        if self.depth == 1:
            self.root = tag.rpartition(":")[2]
        self.start(tag, attrs)

    def tracked_end(self, tag: str) -> None:
        self.depth -= 1
        self.end(tag)

    def value(self):
        book, style = self.book, self.cell_style
        return cell_value(
            book, self.cell_type, book.date_kind(style), self.value_text, book.decimals.get(style), self.formula
        )


# --- the fast reader ---------------------------------------------------------------------------

# One token of <sheetData>'s content, by groups:
#   a cell: 1 its column letters (r= must come first), 2 its other attributes (ending in "/" when
#   self-closing), 3 a formula element, 4 the text of <v>, 5 the text of <is><t> and "</" (so that
#   an empty text is seen), 6 an empty <v>;
#   a row's start: 7 its r= (when it comes first), 8 its other attributes (ending in "/" when self-closing);
#   a row's end: no group;
#   9 anything else but whitespace: the fast reader leaves the row to expat.
# (Each group costs: a cell without r= is left to expat rather than marked by one more.)
# Texts exclude "<" and the control characters XML forbids; other checks are made once per
# distinct text, attribute list or formula (see _Scanner).
_TEXT = rb"[^<\x00-\x08\x0b\x0c\x0e-\x1f]"
# (Optional parts are written "(?:x|)", not "(?:x)?", which sre runs a third faster.)
_TOKEN = re.compile(
    rb"<(?:c r=\"([A-Z]{1,3})[0-9]+\"([^<>]*)>"
    rb"(?:(?<=/>)|(?:(<f(?:[ \t\r\n][^<>]*|)(?:/>|>[^<]*</f>))|)"
    rb"(?:<v>(" + _TEXT + rb"+)</v>"
    rb"|<is><t(?: xml:space=\"preserve\"|)>(" + _TEXT + rb"*</)t></is>"
    rb"|(<v></v>|<v[ \t\r\n]*/>)|)</c>)"
    rb"|row(?: r=\"([0-9]+)\"|)([^<>]*)>"
    rb"|/row>)"
    rb"|([^<\t\n\r ][^<]*|<)"
)
_NAME = rb"[A-Za-z_:][A-Za-z0-9_.:-]*"
_ATTRIBUTES = re.compile(rb"(?:[ \t\r\n]+" + _NAME + rb"[ \t\r\n]*=[ \t\r\n]*(?:\"[^\"<&]*\"|'[^'<&]*'))*[ \t\r\n]*/?")
_ATTRIBUTE = re.compile(rb"(" + _NAME + rb")[ \t\r\n]*=[ \t\r\n]*(?:\"([^\"<&]*)\"|'([^'<&]*)')")
_FORMULA = re.compile(rb"<f(?:([ \t\r\n][^<>]*?)?/>|([ \t\r\n][^<>]*)?>([^<]*)</f>)")
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|]]>")
_REFERENCE = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));|&")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}

# Kinds of cell by type and style, as cell_value reads them; others get their own (t, date kind);
# a number under a format that fixes its decimals is (t, None, decimals) (see Figure).
_NUMBER, _DATE, _SHARED = ("n", None), ("n", "date"), ("s", None)
_INLINE, _STRING, _ERROR = ("inlineStr", None), ("str", None), ("e", None)
_SHOWN: dict[int, tuple] = {}


def _shown(decimals: int) -> tuple:
    return _SHOWN.setdefault(decimals, ("n", None, decimals))


_CACHE_LIMIT = 8192  # distinct texts, dates, attribute lists or formulas a cache keeps
_CACHED_TEXT_BYTES = 512
_STEP = 16 * 1024  # bytes of rows matched at a time (a row expat must read costs a rematch of at most this)
_CARRY_LIMIT = 1 << 20  # a row (or the part before <sheetData>) longer than this goes to expat
# Cells (blanks inside a row included) the rows of one piece read may hold: they are held
# together until the piece is read (8 bytes each: 32 MB), though a piece of real rows holds a few thousand.
FEED_CELLS = 4_000_000
_SKIP_LIMIT = 1000  # rows left to expat before the rest of the file is left to it too, unless most rows are fast


class _Decline(Exception):
    """The fast reader leaves this row to expat."""


def _reference(match: re.Match) -> str:
    if match[1]:
        return _ENTITIES[match[1]]
    if not (match[2] or match[3]):
        raise _Decline  # a bare & or an entity XML does not predefine
    code = int(match[2]) if match[2] else int(match[3], 16)
    if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
        return chr(code)
    raise _Decline


def _xml_text(raw: bytes) -> str:
    """Element text as expat reports it: UTF-8, line ends normalized, references replaced.
    _Decline (or UnicodeDecodeError) for text expat would refuse."""
    if raw.endswith(b"</"):  # <is><t> text as _TOKEN captures it
        raw = raw[:-2]
    text = raw.decode()
    if _BAD_TEXT.search(text):
        raise _Decline
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _REFERENCE.sub(_reference, text)
    return text


def _attributes(raw: bytes) -> dict[str, str]:
    """The attributes of a tag (after its name, and r= if first) when plainly written: ASCII,
    no references, no tab or line end inside values, no repeats. _Decline otherwise."""
    if not raw.isascii() or _ATTRIBUTES.fullmatch(raw) is None or _BAD_TEXT.search(raw.decode()):
        raise _Decline
    result = {}
    for name, double, single in _ATTRIBUTE.findall(raw):
        value = double or single
        if name in result or b"\t" in value or b"\n" in value or b"\r" in value:
            raise _Decline
        result[name] = value.decode()
    return {name.decode(): value for name, value in result.items()}


def _keep(cache: dict, key: bytes, value) -> None:
    if len(cache) < _CACHE_LIMIT and len(key) <= _CACHED_TEXT_BYTES:
        cache[key] = value


_COLUMN_OF = {}  # b"A" → 0 … b"ZZ" → 701; more as they come


def _column(letters: bytes) -> int:
    index = column_index(letters.decode())
    _keep(_COLUMN_OF, letters, index)
    return index


for _letters in [*(chr(65 + i) for i in range(26)), *(chr(65 + i) + chr(65 + j) for i in range(26) for j in range(26))]:
    _column(_letters.encode())


class _Scanner:
    """The fast reader's caches and its matching of rows. The caches are plain dicts read with
    try/except (free in Python 3.11 when nothing is raised): a dict subclass with __missing__
    would make every hit slower."""

    def __init__(self, book: Workbook):
        self.book = book
        self.kinds: dict[bytes, tuple] = {}
        self.row_attributes: dict[bytes, tuple[str | None, bool] | None] = {}
        self.texts: dict[bytes, str] = {}
        self.plains: dict[bytes, str] = {}
        self.dates: dict[bytes, datetime | time] = {}
        self.formulas: dict[bytes, bool] = {}
        self.shown: dict[tuple, dict[bytes, int | float]] = {}  # numbers by kind, under fixed-decimals formats
        # Cells the rows of this piece may still hold (set by _Reader.feed; its expat rows count too)
        # and the limit that sets it, for XlsxLimit.
        self.cells_left, self.cells_limit = FEED_CELLS, ("wide", None, FEED_CELLS)

    def kind(self, raw: bytes) -> tuple:
        attrs = _attributes(raw)
        if "r" in attrs:  # not first, or not a plain A1 reference
            raise _Decline
        kind, date_kind = attrs.get("t"), self.book.date_kind(attrs.get("s"))
        if (kind is None or kind == "n") and date_kind != "duration":
            decimals = None if date_kind else self.book.decimals.get(attrs.get("s"))
            result = _DATE if date_kind else _NUMBER if decimals is None else _shown(decimals)
            if decimals is not None:
                self.shown.setdefault(result, {})
        else:
            known = {"s": _SHARED, "inlineStr": _INLINE, "str": _STRING, "e": _ERROR}.get(kind)
            result = known or ("n" if kind is None else kind, date_kind)
        _keep(self.kinds, raw, result)
        return result

    def row(self, raw: bytes) -> tuple[str | None, bool, bool] | None:
        """A row's attributes after r=: (r= if it came later, whether the row is self-closing,
        whether it is hidden), or None if none of them."""
        attrs = _attributes(raw)
        ref, closed, hidden = attrs.get("r"), raw.endswith(b"/"), attrs.get("hidden") in ("1", "true")
        result = None if ref is None and not closed and not hidden else (ref, closed, hidden)
        _keep(self.row_attributes, raw, result)
        return result

    def text(self, raw: bytes) -> str:
        """A string cell's text: as XML writes it, Excel's _xHHHH_ escapes decoded."""
        result = unescape(_xml_text(raw))
        _keep(self.texts, raw, result)
        return result

    def plain(self, raw: bytes) -> str:
        """Another cell's text as XML writes it (cell_value reads it by the cell's type)."""
        result = _xml_text(raw)
        _keep(self.plains, raw, result)
        return result

    def date(self, raw: bytes) -> datetime | time:
        number = float(raw) if (b"." in raw or b"E" in raw or b"e" in raw) else int(raw)
        result = self.book.from_serial(number)
        _keep(self.dates, raw, result)
        return result

    def formula(self, raw: bytes) -> str | None:
        """A formula element checked; its text if it adds rows up (see `adds_up`), else None."""
        match = _FORMULA.fullmatch(raw)
        if match is None:
            raise _Decline
        attrs = match[1] if match[1] is not None else match[2]
        if attrs:
            _attributes(attrs)
        text = _xml_text(match[3]) if match[3] else ""
        result = text if adds_up(text) else None
        _keep(self.formulas, raw, result)
        return result

    # The token loop of the fast reader, measured (bench/imports.py, tests/test_xlsx_fast_reader.py):
    # one branch per shape of cell or row, inline, the caches read in place. A method call per
    # token would cost more than the whole branch it replaced, so it stays one function.
    def scan(self, buf: bytes, pos: int, end: int, out: list, number: int) -> tuple[int, int, bool]:  # noqa: C901
        """Append the rows of buf[pos:end] to `out` as (number, cells) until one is not in a
        common shape. Returns (rows appended, the last one's number, whether all were)."""
        book, kinds, texts, dates, formulas = self.book, self.kinds, self.texts, self.dates, self.formulas
        plain, shown = self.plains, self.shown
        shared, columns, row_attributes = book.shared, _COLUMN_OF, self.row_attributes
        append = out.append
        done, row, hidden = 0, None, False
        last = number
        left = self.cells_left  # cells the budget still allows (a row counts as wide as its last cell)
        try:
            for letters, attrs, formula, v, s, empty, r, rattrs, other, _ in _tokens(buf, pos, end):
                if letters:
                    try:
                        kind = kinds[attrs]
                    except KeyError:
                        kind = self.kind(attrs)
                    try:
                        column = columns[letters]
                    except KeyError:
                        column = _column(letters)
                    if formula:
                        try:
                            sums = formulas[formula]
                        except KeyError:
                            sums = self.formula(formula)
                        if sums is not None:
                            self.book.read.add_sum(number, column, sums)
                    if v:
                        if kind is _NUMBER:
                            if v.isdigit():
                                value = int(v)
                            else:  # (int needles: `b"." in v` is several times slower)
                                value = float(v) if (46 in v or 69 in v or 101 in v) else int(v)
                        elif kind is _SHARED:
                            value = shared[int(v)]
                        elif kind is _DATE:
                            try:
                                value = dates[v]
                            except KeyError:
                                value = self.date(v)
                        elif kind is _INLINE or kind is _STRING or kind is _ERROR:
                            try:
                                value = texts[v]
                            except KeyError:
                                value = self.text(v)
                        elif not formula and kind in shown:  # a typed number under a fixed-decimals format
                            cache = shown[kind]
                            try:
                                value = cache[v]
                            except KeyError:
                                value = cell_value(book, "n", None, self.plain(v), kind[2])
                                _keep(cache, v, value)
                        else:
                            try:
                                value = plain[v]
                            except KeyError:
                                value = self.plain(v)
                            value = cell_value(book, kind[0], kind[1], value, *kind[2:], formula=bool(formula))
                        if formula and value.__class__ is float:
                            value = Figure(value, None, True)  # (a General cell's formula)
                    elif s:
                        if kind is _INLINE:
                            try:
                                value = texts[s]
                            except KeyError:
                                value = self.text(s)
                        else:
                            try:
                                value = plain[s]
                            except KeyError:
                                value = self.plain(s)
                            value = cell_value(book, kind[0], kind[1], value)
                    elif empty:
                        value = cell_value(book, kind[0], kind[1], "", formula=bool(formula))
                    elif formula and kind is not _STRING:
                        value = NO_VALUE  # a formula never calculated
                    else:
                        continue
                    if column == len(row):
                        row.append(value)
                    elif column > len(row):
                        if column >= READ_COLUMNS:
                            continue  # (a row never pads past READ_COLUMNS; see below for the rest)
                        row += [None] * (column - len(row))
                        row.append(value)
                    else:
                        raise _Decline  # a column again, or out of order
                elif rattrs is None:
                    if other:
                        raise _Decline
                    if len(row) > READ_COLUMNS:  # (a TypeError outside a row)
                        del row[READ_COLUMNS:]
                    if not hidden or self.book.read.keep_hidden(number, row):
                        append((number, tuple(row)))
                    left -= len(row)
                    if left < 0:
                        raise XlsxLimit(*self.cells_limit)
                    done, last, row = done + 1, number, None
                elif row is not None:
                    raise _Decline
                else:
                    if rattrs:
                        try:
                            special = row_attributes[rattrs]
                        except KeyError:
                            special = self.row(rattrs)
                    else:
                        special = None
                    if special is None:  # no r= but first, not self-closing, not hidden
                        number = int(r) if r else number + 1
                        row, hidden = [], False
                        continue
                    ref, closed, hidden = special
                    if r:
                        if ref is not None:
                            raise _Decline  # r= twice
                        number = int(r)
                    else:
                        number = int(ref) if ref else number + 1
                    if closed:
                        append((number, ()))
                        done, last = done + 1, number
                    else:
                        row = []
            if row is not None:
                raise _Decline
        except XlsxLimit:
            raise
        except (_Decline, ValueError, IndexError, KeyError, TypeError, OverflowError):
            self.cells_left = left
            return done, last, False  # (the rows appended so far stand)
        self.cells_left = left
        return done, last, True


def _tokens(buf: bytes, pos: int, end: int):
    """The tokens of buf[pos:end], each as `_TOKEN`'s nine groups and the whitespace after it."""
    # split, not findall: one flat list instead of a tuple per token, which the garbage
    # collector would otherwise keep walking; zip over one iterator takes a token at a time.
    tokens = iter(_TOKEN.split(buf[pos:end]))
    next(tokens)  # whitespace before the first token
    return zip(*[tokens] * 10)  # noqa: B905


def _end_of_rows(buf: bytes, pos: int, end: int, count: int) -> int:
    """Where the first `count` rows of buf[pos:end] end (all in the shapes _TOKEN reads)."""
    if count == 0:
        return pos
    for match in _TOKEN.finditer(buf, pos, end):
        if match[8] is not None and match[8].endswith(b"/") or match.lastindex is None:
            count -= 1
            if count == 0:
                return match.end()
    raise AssertionError("rows counted twice differently")


_HEADER, _FAST, _EXPAT = "header", "fast", "expat"
FAST = True  # False: expat reads everything (the tests compare the two)


class _Reader:
    """Feeds the sheet's bytes to the fast reader or to expat; collects (row number, cells) in order."""

    def __init__(self, book: Workbook):
        self.sheet = sheet = _SheetParser(book)
        self.scanner = _Scanner(book)
        self.parser = parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler = sheet.tracked_start, sheet.tracked_end
        parser.CharacterDataHandler = sheet.data
        self.mode = _HEADER
        if not FAST:
            self._to_expat(b"", False, [])
        self.carry = b""
        self.cells_left = self.budget_cells = book.budget.cells
        self.number = 0  # the last row's number, for a row without r=
        self.fast_rows = self.expat_rows = 0

    def feed(self, chunk: bytes) -> list[tuple[int, tuple]]:
        """The rows completed by this chunk of the sheet (b"" at its end), within the budget's cells
        (and FEED_CELLS: the rows of one chunk are held together)."""
        scanner = self.scanner
        allowed = min(self.cells_left, FEED_CELLS)
        scanner.cells_left = allowed
        scanner.cells_limit = (
            ("wide", None, FEED_CELLS) if allowed == FEED_CELLS else ("cells", None, self.budget_cells)
        )
        try:
            return self._feed(chunk)
        finally:
            self.cells_left -= allowed - scanner.cells_left

    def _feed(self, chunk: bytes) -> list[tuple[int, tuple]]:
        out: list = []
        final = not chunk
        if self.mode is _EXPAT:
            self._expat(chunk, final, out)
            return out
        buf = self.carry + chunk if self.carry else chunk
        self.carry = b""
        pos = 0
        if self.mode is _HEADER:
            pos = self._header(buf, final, out)
            if pos is None:
                return out
        self._fast(buf, pos, final, out)
        return out

    def _expat(self, data: bytes, final: bool, out: list) -> None:
        sheet, scanner = self.sheet, self.scanner
        self.parser.Parse(data, final)
        for n, cells in sheet.rows:
            if not cells:
                out.append((n, ()))
                continue
            width = max(cells) + 1
            if width > MAX_COLUMN:  # (cells without r= after the last column)
                raise XlsxLimit("column", width, MAX_COLUMN)
            if width > READ_COLUMNS:
                cells = {column: value for column, value in cells.items() if column < READ_COLUMNS}
                width = max(cells, default=-1) + 1
            scanner.cells_left -= width
            if scanner.cells_left < 0:
                raise XlsxLimit(*scanner.cells_limit)
            out.append((n, tuple(map(cells.get, range(width)))))
        sheet.rows = []

    def _to_expat(self, data: bytes, final: bool, out: list) -> None:
        """Leave the rest of the sheet to expat."""
        if self.mode is _FAST:
            self.sheet.row_number = self.number
        self.mode = _EXPAT
        self.parser.StartElementHandler, self.parser.EndElementHandler = self.sheet.start, self.sheet.end
        self._expat(data, final, out)

    def _header(self, buf: bytes, final: bool, out: list) -> int | None:
        """Give expat the part up to <sheetData> and return where the rows start; None (with the
        bytes kept or left to expat) if that is not yet known or not plainly written."""
        at = buf.find(b"<sheetData")
        start = at + len(b"<sheetData>")
        if at < 0 or len(buf) < start:
            if final or len(buf) > _CARRY_LIMIT or b"\x00" in buf:
                self._to_expat(buf, final, out)
            else:
                self.carry = buf
            return None
        if buf[at:start] != b"<sheetData>" or not _plain_prolog(buf[:at]):
            self._to_expat(buf, final, out)
            return None
        sheet = self.sheet
        self._expat(buf[:at], False, out)
        depth = sheet.depth
        self._expat(buf[at:start], False, out)
        if depth != 1 or sheet.depth != 2 or sheet.root in ("row", "c", "v", "t", "is", "rPh"):
            self._to_expat(buf[start:], final, out)
            return None
        self.mode = _FAST
        self.number = sheet.row_number
        return start

    def _fast(self, buf: bytes, pos: int, final: bool, out: list) -> None:
        size = len(buf)
        if final or buf.find(b"</sheetData", pos) >= 0:
            cut = size
        else:
            cut = buf.rfind(b"<row", pos)
            if cut <= pos:
                if size - pos > _CARRY_LIMIT:
                    self._to_expat(buf[pos:], final, out)
                else:
                    self.carry = buf[pos:]
                return
        scan = self.scanner.scan
        while pos < cut:
            end = buf.find(b"<row", pos + _STEP, cut)
            if end < 0:
                end = cut
            done, self.number, whole = scan(buf, pos, end, out, self.number)
            self.fast_rows += done
            if whole:
                pos = end
                continue
            pos = self._skip(buf, _end_of_rows(buf, pos, end, done), cut, final, out)
            if pos is None:
                return
        if final:
            self._to_expat(buf[cut:], True, out)
        elif cut < size:
            self.carry = buf[cut:]

    def _skip(self, buf: bytes, at: int, cut: int, final: bool, out: list) -> int | None:
        """Leave the row at `at` to expat; where the fast reader resumes, or None if expat keeps the rest."""
        close = buf.find(b"</row>", at, cut)
        many = self.expat_rows >= _SKIP_LIMIT and self.expat_rows * 4 > self.fast_rows
        if close < 0 or many:
            self._to_expat(buf[at:], final, out)
            return None
        close += len(b"</row>")
        part = buf[at:close]
        if b"<!" in part or b"<?" in part:
            self._to_expat(buf[at:], final, out)
            return None
        sheet = self.sheet
        sheet.row_number = self.number
        self._expat(part, False, out)
        self.number = sheet.row_number
        self.expat_rows += 1
        if sheet.depth != 2:
            self.mode = _EXPAT  # (expat's row number is already right)
            self._to_expat(buf[close:], final, out)
            return None
        return close


def _plain_prolog(head: bytes) -> bool:
    """Is the part before <sheetData> UTF-8 with no DOCTYPE, comment, CDATA or processing instruction
    (which could hide a <sheetData> or declare entities)?"""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if head.startswith(b"<?xml"):
        end = head.find(b"?>")
        declaration = head[:end]
        encoding = re.search(rb"encoding[ \t\r\n]*=[ \t\r\n]*[\"']([^\"']*)", declaration)
        if end < 0 or (encoding is not None and encoding[1].lower() != b"utf-8"):
            return False
        head = head[end + 2 :]
    return b"<!" not in head and b"<?" not in head


def read_layout(book: Workbook, layout: Layout, max_bytes: int) -> None:
    """Fill `layout` with the sheet's merged ranges and its tables' total rows (see `layout`)."""
    archive, budget = book.archive, book.budget
    try:
        with archive.open(book.sheet_path) as member:
            if archive.getinfo(book.sheet_path).file_size > max_bytes:
                raise XlsxError(f"the sheet expands past {max_bytes} bytes")
            layout.merges = merges_of(member, lambda: _check_time(book.deadline, budget))
    except TooManyMerges as exc:
        raise XlsxLimit("merges", exc.count, MAX_MERGES) from None
    tables = book.package.tables(book.sheet_path)
    layout.table_totals = table_totals(lambda name: _parse_small(archive, name, budget.part_bytes), tables)


def iter_rows(
    path,
    max_bytes: int,
    budget: Budget | None = None,
    read: SheetRead | None = None,
    layout: Layout | None = None,
    opened=None,
) -> Iterator[tuple[int, tuple]]:
    """(row number, cells) for every row of a sheet, in its order: a row the sheet leaves out is
    blank, and is not yielded (the numbers show the gaps). A row holds its cells up to READ_COLUMNS;
    the cells past it are left out.

    `read` says which sheet and whether hidden rows are yielded, and gets what the reading finds
    (see SheetRead); without it, the sheet the workbook opens on, every row (as openpyxl reads it).
    NoSuchSheet (an XlsxError) when the sheet asked for is not there. `opened(book)`, if given, is
    called with the Workbook before the first row (e.g. to learn its date system).

    Raises XlsxError for a workbook that cannot be read or expands past `max_bytes`, XlsxLimit
    (an XlsxError) for one past Excel's rows or columns or past the `budget`.

    `layout` (optional): filled, before the first row, with the sheet's merges and tables' total rows.
    """
    budget = budget or Budget()
    deadline = None if budget.seconds is None else monotonic() + budget.seconds
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsxError(str(exc)) from None
    with archive:
        try:
            book = Workbook(archive, budget, deadline, read)
            if layout is not None:
                read_layout(book, layout, max_bytes)
            member = archive.open(book.sheet_path)
        except (XlsxLimit, NoSuchSheet):
            raise
        except (KeyError, ElementTree.ParseError, expat.ExpatError, ValueError, zipfile.BadZipFile) as exc:
            raise XlsxError(str(exc)) from None
        if opened is not None:
            opened(book)
        reader = _Reader(book)
        expanded = 0
        with member:
            while True:
                try:
                    chunk = member.read(READ_BYTES)
                    expanded += len(chunk)
                    if expanded > max_bytes:
                        raise XlsxError(f"the sheet expands past {max_bytes} bytes")
                    rows = reader.feed(chunk)
                except XlsxError:
                    raise
                except (expat.ExpatError, zipfile.BadZipFile, ValueError, IndexError, OSError, OverflowError) as exc:
                    raise XlsxError(str(exc)) from None
                for row in rows:
                    if not 0 < row[0] <= MAX_ROW:
                        raise XlsxLimit("row", row[0], MAX_ROW)
                    yield row
                if book.read.sums and rows:
                    book.read.forget_sums(rows[-1][0])
                if not chunk:
                    return
                _check_time(deadline, budget)
