"""Where a workbook's parts are: the package's relationships followed, as Excel follows them.

An XLSX file is an Open Packaging Conventions package: `_rels/.rels` names the workbook part (the
"officeDocument" relationship; usually xl/workbook.xml, but any name is legal), and the workbook's
own relationships (`xl/_rels/workbook.xml.rels` beside xl/workbook.xml) name its worksheets, its
shared strings and its styles. A target is relative to the folder of the part that names it, or
absolute with a leading "/". Part names are compared ignoring case (`SharedStrings.xml` is
`sharedStrings.xml`), so a package holding two names equal ignoring case is ambiguous — a known
trick to show one reader one part and another reader the other — and is refused (`duplicate_parts`).
"""

import posixpath
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

OFFICE_DOCUMENT, WORKSHEET, SHARED_STRINGS, STYLES, TABLE = (
    "officeDocument",
    "worksheet",
    "sharedStrings",
    "styles",
    "table",
)


class PackageError(ValueError):
    """The package cannot be read as a workbook (a missing or ambiguous part)."""


class PartTooLarge(PackageError):
    """A relationships part past the size allowed for a part read whole."""

    def __init__(self, name: str, size: int, limit: int):
        super().__init__(f"{name} is too large ({size} bytes)")
        self.name, self.size, self.limit = name, size, limit


def part_key(name: str) -> str:
    """A zip member's name as a part name to compare: case ignored, and a Windows tool's "\\" read
    as the "/" the format asks for (Excel and PhpSpreadsheet read such packages)."""
    return name.replace("\\", "/").lower()


def duplicate_parts(names: list[str]) -> tuple[str, str] | None:
    """Two part names of the package that are equal ignoring case (the first such pair), or None."""
    seen: dict[str, str] = {}
    for name in names:
        key = part_key(name)
        if key in seen:
            return seen[key], name
        seen[key] = name
    return None


def rels_of(part: str) -> str:
    """The relationships part of a part: xl/workbook.xml → xl/_rels/workbook.xml.rels; "" → _rels/.rels."""
    folder, name = posixpath.split(part.replace("\\", "/"))
    return posixpath.join(folder, "_rels", f"{name}.rels")


def resolve(source: str, target: str) -> str:
    """A relationship's target as a part name: absolute ("/xl/x.xml") or relative to the source's folder."""
    source, target = source.replace("\\", "/"), target.replace("\\", "/")
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target)).lstrip("/")


@dataclass
class Parts:
    """The parts of a workbook, by their names in the zip: `sheets` maps each relationship id of the
    workbook to its worksheet part; a part the workbook does not have is None."""

    workbook: str
    sheets: dict[str, str] = field(default_factory=dict)
    shared_strings: str | None = None
    styles: str | None = None


class Package:
    """A workbook package's part names (found ignoring case) and its relationships."""

    def __init__(self, archive: zipfile.ZipFile, part_bytes: int):
        self.archive, self.part_bytes = archive, part_bytes
        names = [info.filename for info in archive.infolist()]
        pair = duplicate_parts(names)
        if pair is not None:
            raise PackageError(f"two parts differ only by case: {pair[0]} and {pair[1]}")
        self.names = {part_key(name): name for name in names}

    def member(self, part: str) -> str | None:
        """The zip member that holds a part (names compared ignoring case), or None."""
        return self.names.get(part_key(part))

    def relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type's last word, target part's member name or "") of a part's internal relationships."""
        name = self.member(rels_of(part))
        if name is None:
            return []
        size = self.archive.getinfo(name).file_size
        if size > self.part_bytes:
            raise PartTooLarge(name, size, self.part_bytes)
        found = []
        for element in ElementTree.fromstring(self.archive.read(name)).iter():
            if element.tag.rpartition("}")[2] != "Relationship" or element.get("TargetMode") == "External":
                continue
            kind = element.get("Type", "").rpartition("/")[2]
            target = self.member(resolve(part, element.get("Target", ""))) or ""
            found.append((element.get("Id", ""), kind, target))
        return found

    def parts(self) -> Parts:
        """Where the workbook, its worksheets, shared strings and styles are."""
        workbook = next((t for _id, kind, t in self.relationships("") if kind == OFFICE_DOCUMENT and t), None)
        if workbook is None:
            workbook = self.member("xl/workbook.xml")  # a package written without _rels/.rels
        if workbook is None:
            raise PackageError("the package names no workbook part")
        found = Parts(workbook)
        for rid, kind, target in self.relationships(workbook):
            if kind == WORKSHEET:
                found.sheets[rid] = target
            elif kind == SHARED_STRINGS and target and found.shared_strings is None:
                found.shared_strings = target
            elif kind == STYLES and target and found.styles is None:
                found.styles = target
        # Writers that leave a relationship out still put the part where Excel would.
        found.shared_strings = found.shared_strings or self.member(resolve(workbook, "sharedStrings.xml"))
        found.styles = found.styles or self.member(resolve(workbook, "styles.xml"))
        return found

    def tables(self, sheet: str) -> list[str]:
        """The table parts (Ctrl+T tables) of a worksheet part."""
        return [target for _id, kind, target in self.relationships(sheet) if kind == TABLE and target]
