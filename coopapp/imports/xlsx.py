"""A streaming reader of an XLSX workbook's first sheet: rows of cell values, as openpyxl's
read-only mode gives them (strings, ints, floats, bools, datetimes for date-formatted cells),
at several times its speed.

The sheet XML is fed to expat (C) in 64 KB pieces straight from the zip member; rows are
yielded as they complete, so memory stays flat. The bytes expanded are counted and capped
(see `limits`), on top of `zipfile` never yielding more than a member's declared size.
"""

import posixpath
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from xml.etree import ElementTree
from xml.parsers import expat

READ_BYTES = 64 * 1024
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
# Built-in number formats that are dates or times (14–22, 45–47 everywhere; 27–36, 50–58 in CJK locales).
DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DATE_CODE = re.compile(r"[dmyhsDMYHS年月日时分秒]")


class XlsxError(ValueError):
    """The workbook cannot be read (a missing part, broken XML, too much expanded data)."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def _parse_small(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    try:
        data = archive.read(name)
    except KeyError:
        return None
    return ElementTree.fromstring(data)


def _attr(element: ElementTree.Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def is_date_format(code: str) -> bool:
    """Does an Excel number format show a date or time (y, m, d, h, s outside quotes and brackets)?"""
    return _DATE_CODE.search(_QUOTED.sub("", code)) is not None


class Workbook:
    """The parts of a workbook needed to read its first sheet's values."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        workbook = _parse_small(archive, "xl/workbook.xml")
        if workbook is None:
            raise XlsxError("xl/workbook.xml is missing")
        self.epoch = _EPOCH_1900
        sheet_rid = None
        for element in workbook.iter():
            tag = _local(element.tag)
            if tag == "workbookPr" and _attr(element, "date1904") in ("1", "true"):
                self.epoch = _EPOCH_1904
            elif tag == "sheet" and sheet_rid is None:
                sheet_rid = _attr(element, "id")
        self.sheet_path = self._target(sheet_rid)
        self.shared = self._shared_strings()
        self.date_styles = self._date_styles()

    def _target(self, rid: str | None) -> str:
        rels = _parse_small(self.archive, "xl/_rels/workbook.xml.rels")
        for element in rels.iter() if rels is not None else ():
            if _local(element.tag) == "Relationship" and element.get("Id") == rid:
                target = element.get("Target", "")
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        return "xl/worksheets/sheet1.xml"

    def _shared_strings(self) -> list[str]:
        try:
            member = self.archive.open("xl/sharedStrings.xml")
        except KeyError:
            return []
        strings: list[str] = []
        parts: list[str] = []
        phonetic = False
        with member:
            for event, element in ElementTree.iterparse(member, events=("start", "end")):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "si":
                        parts = []
                    elif tag == "rPh":  # a phonetic guide: not part of the text
                        phonetic = True
                    continue
                if tag == "t" and not phonetic:
                    parts.append(element.text or "")
                elif tag == "rPh":
                    phonetic = False
                elif tag == "si":
                    strings.append("".join(parts))
                    element.clear()
        return strings

    def _date_styles(self) -> set[str]:
        """The cell styles (`s` attributes, as written) that show numbers as dates."""
        styles = _parse_small(self.archive, "xl/styles.xml")
        if styles is None:
            return set()
        custom = {}
        for element in styles.iter():
            if _local(element.tag) == "numFmt":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
        result = set()
        for element in styles.iter():
            if _local(element.tag) != "cellXfs":
                continue
            for index, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
                fmt = int(xf.get("numFmtId", "0"))
                if fmt in custom:
                    if is_date_format(custom[fmt]):
                        result.add(str(index))
                elif fmt in DATE_FORMAT_IDS:
                    result.add(str(index))
        return result

    def from_serial(self, value: float) -> datetime | time:
        """A date-styled number as openpyxl reads it: to the millisecond; a time of day for a
        value below 1; Excel's phantom 1900-02-29 skipped for serials below 60."""
        day, fraction = divmod(value, 1)
        diff = timedelta(milliseconds=round(fraction * 86_400_000))
        if 0 <= value < 1 and diff.days == 0:
            return (datetime.min + diff).time()
        if self.epoch is _EPOCH_1900 and 0 < value < 60:
            day += 1
        return self.epoch + timedelta(days=day) + diff


_COLUMNS: dict[str, int] = {}


def column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26 (cached)."""
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for ch in letters.upper():
            index = index * 26 + (ord(ch) - 64)
        index -= 1
        _COLUMNS[letters] = index
    return index


class _SheetParser:
    """expat callbacks that collect completed rows."""

    def __init__(self, book: Workbook):
        self.book, self.rows = book, []
        self.row_number, self.cells = 0, {}
        self.cell_type = self.cell_style = None
        self.column = -1
        self.text: list[str] | None = None
        self.value_text = None
        self.in_phonetic = False

    # The common (unprefixed) names are compared first; a prefixed one (x:c) is retried by its local name.

    def start(self, tag: str, attrs: dict) -> None:
        if tag == "c":
            ref = attrs.get("r")
            self.column = column_index(ref.rstrip("0123456789")) if ref else self.column + 1
            self.cell_type, self.cell_style = attrs.get("t"), attrs.get("s")
            self.value_text = None
        elif tag == "v":
            self.text = []
        elif tag == "row":
            ref = attrs.get("r")
            self.row_number = int(ref) if ref else self.row_number + 1
            self.cells, self.column = {}, -1
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

    def end(self, tag: str) -> None:
        if tag == "v":
            self.value_text, self.text = "".join(self.text or ()), None
        elif tag == "c":
            if self.value_text is not None:
                self.cells[self.column] = self.value()
        elif tag == "row":
            self.rows.append((self.row_number, self.cells))
        elif tag == "t":
            if self.text is not None:
                self.value_text = (self.value_text or "") + "".join(self.text)
            self.text = None
        elif tag == "rPh":
            self.in_phonetic = False
        elif ":" in tag:
            self.end(tag.rpartition(":")[2])

    def value(self):
        text, kind = self.value_text, self.cell_type
        if not text and kind != "inlineStr":
            return None  # e.g. a formula never calculated: <f>…</f><v></v>
        if kind is None or kind == "n":
            number = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
            if self.cell_style in self.book.date_styles:
                return self.book.from_serial(number)
            return number
        if kind == "s":
            return self.book.shared[int(text)]
        if kind in ("inlineStr", "str", "e"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            return datetime.fromisoformat(text.rstrip("Z"))
        return text


def iter_rows(path, max_bytes: int) -> Iterator[tuple[int, tuple]]:
    """(row number, cells) for every row of the first sheet, empty rows in gaps included.

    Raises XlsxError for a workbook that cannot be read or expands past `max_bytes`.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsxError(str(exc)) from None
    with archive:
        try:
            book = Workbook(archive)
            member = archive.open(book.sheet_path)
        except (KeyError, ElementTree.ParseError, ValueError, zipfile.BadZipFile) as exc:
            raise XlsxError(str(exc)) from None
        sheet = _SheetParser(book)
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler = sheet.start, sheet.end
        parser.CharacterDataHandler = sheet.data
        expanded, last = 0, 0
        with member:
            while True:
                try:
                    chunk = member.read(READ_BYTES)
                    expanded += len(chunk)
                    if expanded > max_bytes:
                        raise XlsxError(f"the sheet expands past {max_bytes} bytes")
                    parser.Parse(chunk, not chunk)
                except (expat.ExpatError, zipfile.BadZipFile, ValueError, IndexError, OSError, OverflowError) as exc:
                    raise XlsxError(str(exc)) from None
                for number, cells in sheet.rows:
                    while last < number - 1:  # rows the sheet leaves out are blank
                        last += 1
                        yield last, ()
                    yield number, tuple(map(cells.get, range(max(cells) + 1))) if cells else ()
                    last = number
                sheet.rows = []
                if not chunk:
                    return
