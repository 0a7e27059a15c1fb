"""What a sheet says about its rows beside their cells: merged ranges and Excel tables' total rows.

`<mergeCells>` comes after `<sheetData>` in a worksheet part, so the merges are found by a first,
cheap pass over the part (the bytes are searched, not parsed: `merges_of`) before the rows are
read; a sheet without merges costs one decompression. A table (Ctrl+T) is a part of its own
(`xl/tables/tableN.xml`, named by the sheet's relationships); one with `totalsRowCount="1"` ends
in a total row (labelled 汇总 or 总计, or holding SUBTOTALs only).
"""

import re
from dataclasses import dataclass, field

READ_BYTES = 256 * 1024
MAX_MERGES = 100_000  # far more than a ledger merges; past it the sheet is not read
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")
_MERGE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")


@dataclass
class Merge:
    """A merged range: its reference as written (B5:B9) and its rows and columns (0-based columns)."""

    ref: str
    top: int
    bottom: int
    left: int
    right: int


@dataclass
class Layout:
    """A sheet's merged ranges and the rows that are its tables' total rows."""

    merges: list[Merge] = field(default_factory=list)
    table_totals: set[int] = field(default_factory=set)


class TooManyMerges(ValueError):
    def __init__(self, count: int):
        super().__init__(f"{count} merged ranges")
        self.count = count


def _column(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def parse_range(ref: str) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of an A1:B2 reference (left and right 0-based), or None if it is not one."""
    first, _sep, last = ref.strip().partition(":")
    a, b = _REF.fullmatch(first), _REF.fullmatch(last or first)
    if a is None or b is None:
        return None
    top, bottom = sorted((int(a[2]), int(b[2])))
    left, right = sorted((_column(a[1]), _column(b[1])))
    return top, bottom, left, right


def merges_of(member, check=None) -> list[Merge]:
    """The merged ranges of a worksheet part (an open zip member), read in one pass over its bytes.

    `check`: called after each piece read (the reader's time budget). TooManyMerges past MAX_MERGES."""
    found: list[Merge] = []
    carry = b""  # the previous piece from its last "<": a tag it cut short
    while True:
        chunk = member.read(READ_BYTES)
        if b"mergeCell" not in chunk and not (carry and b"mergeCell" in carry + chunk[:16]):
            last = chunk.rfind(b"<")  # most pieces: one search, no copy
            carry = chunk[last:] if last >= 0 else carry + chunk
            carry = carry if len(carry) < 4096 else b""
        else:
            buf = carry + chunk if carry else chunk
            cut = buf.rfind(b"<") if chunk else len(buf)
            cut = len(buf) if cut < 0 else cut
            for match in _MERGE.finditer(buf, 0, cut):  # (a tag before the last "<" ends before it)
                span = parse_range(match[1].decode("ascii", "replace"))
                if span is not None and span != (span[0], span[0], span[2], span[2]):
                    found.append(Merge(match[1].decode("ascii", "replace").upper(), *span))
                    if len(found) > MAX_MERGES:
                        raise TooManyMerges(len(found))
            carry = buf[cut:] if len(buf) - cut < 4096 else b""
        if check is not None:
            check()
        if not chunk:
            return found


def table_totals(read_part, tables: list[str]) -> set[int]:
    """The rows that are total rows of the sheet's tables: the last `totalsRowCount` rows of each
    table's range. `read_part(name)` gives a table part's root element (an ElementTree element, or None)."""
    rows: set[int] = set()
    for name in tables:
        table = read_part(name)
        if table is None:
            continue
        try:
            count = int(table.get("totalsRowCount", "0"))
        except ValueError:
            continue
        span = parse_range(table.get("ref", ""))
        if count > 0 and span is not None:
            rows.update(range(max(span[0], span[1] - count + 1), span[1] + 1))
    return rows
