"""What an import found, its batch, and the chunked writer that keeps memory flat.

Every import reads and checks the whole file first, writing nothing and holding no lock (the
checking pass), then writes what it kept in one short transaction that takes the target's lock
and checks again what may have changed meanwhile (the writing pass)."""

import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.imports.layout import Layout
from coopapp.imports.options import ReadOptions
from coopapp.imports.parse import squash
from coopapp.models import ImportBatch

# A file with more bad rows than this lists the first ones and says how many more there are.
MAX_LISTED_ERRORS = 10_000
CHUNK = 1_000


@dataclass
class Problem:
    """One bad cell or row: the row number as the spreadsheet shows it, the column's header, the value, why."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass
class Question:
    """Where the file alone cannot say what the user means: the import stops, writes nothing and asks.

    `key` names the question for its answer (`ReadOptions.answers[key]`, `--answer KEY=VALUE`, or
    the page's choice); `options` are (value, label) pairs, the value being what answers it."""

    key: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    options: list[tuple[str, str]]

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "options": [{"value": v, "label": label} for v, label in self.options],
        }


@dataclass
class ImportReport:
    """The outcome of an import or a dry run; `as_dict` is the `--json` object."""

    kind: str
    file_name: str
    dry_run: bool
    sha256: str = ""
    rows_ok: int = 0
    rows_skipped: int = 0
    total_fen: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    error_count: int = 0
    batch_id: int | None = None
    imported: bool = False
    # For the preview page: the first rows as parsed (row number, status, values).
    preview: list[dict] = field(default_factory=list)
    preview_limit: int = 0
    # How the file is read (the user's choices and answers), and what the reading found.
    options: ReadOptions = field(default_factory=ReadOptions)
    questions: list[Question] = field(default_factory=list)
    sheet: str | None = None  # the worksheet read (None: a CSV file)
    sheets: list[str] = field(default_factory=list)  # the workbook's visible worksheets, for the choice
    hidden_rows: list[int] = field(default_factory=list)  # rows the file hides, left out unless included
    # What reading the workbook's sheet found (a workbook_sheets.SheetRead; None: a CSV file or not read yet).
    reading: object = field(default=None, repr=False)
    layout: Layout = field(default_factory=Layout)  # the sheet's merges and tables' total rows, as read
    date1904: bool = False  # the workbook counts dates from 1904 (Mac Excel): its serial days are read so

    @property
    def ok(self) -> bool:
        """Nothing wrong and nothing to ask: the file may be imported."""
        return self.error_count == 0 and not self.questions

    @property
    def preview_total(self) -> int:
        """How many rows the preview is the first of: the good rows."""
        return self.rows_ok

    @property
    def confirmable(self) -> bool:
        """May the previewed file be confirmed? When it has no bad row."""
        return self.ok

    def hidden_between(self, first: int, last: int) -> int:
        """How many hidden rows left out lie between rows `first` and `last` (they are not skipped rows:
        the report lists them apart)."""
        reading = self.reading
        if reading is None or reading.include_hidden or not self.hidden_rows:
            return 0
        return sum(1 for row in self.hidden_rows if first < row < last)

    def error(self, row, column, value, message) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(Problem(row, column, value, str(message)))

    def ask(self, key: str, row, column, value, message, options) -> None:
        """Stop for a question (once per key): the import writes nothing until it is answered."""
        if all(q.key != key for q in self.questions):
            self.questions.append(Question(key, row, column, value, str(message), [(v, str(lb)) for v, lb in options]))

    def warn(self, row, column, value, message) -> None:
        self.warnings.append(Problem(row, column, value, str(message)))

    def show(self, row: dict) -> None:
        if len(self.preview) < self.preview_limit:
            self.preview.append(row)

    def as_dict(self) -> dict:
        unlisted = self.error_count - len(self.errors)
        warnings = [w.as_dict() for w in self.warnings]
        if unlisted > 0:
            message = _("另有 %(n)s 个错误未列出。", n=unlisted)
            warnings.append(Problem(None, None, None, message).as_dict())
        return {
            "kind": self.kind,
            "file": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "imported": self.imported,
            "batch_id": self.batch_id,
            "rows_ok": self.rows_ok,
            "rows_skipped": self.rows_skipped,
            "total_fen": self.total_fen,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": warnings,
            "questions": [q.as_dict() for q in self.questions],
            "sheet": self.sheet,
            "sheets": self.sheets,
            "hidden_rows": self.hidden_rows,
        }


class RollBack(Exception):
    """Raised inside the import's transaction to undo it (a dry run, or a file with bad rows)."""


def previous_batch(kind: str, target_id: int, sha256: str) -> ImportBatch | None:
    """The batch that already imported this very file into this target, if any."""
    q = select(ImportBatch).where(
        ImportBatch.kind == kind, ImportBatch.target_id == target_id, ImportBatch.content_sha256 == sha256
    )
    return db.session.scalars(q).first()


def refuse_duplicate(report: ImportReport, batch: ImportBatch) -> None:
    when = batch.created_at.strftime("%Y-%m-%d %H:%M")
    report.error(
        None,
        None,
        report.file_name,
        _("该文件已于 %(t)s 导入过（批次 #%(id)s），不能重复导入。", t=when, id=batch.id),
    )


def check_not_imported(kind: str, target_id: int, path, report: ImportReport) -> None:
    """Hash the file and refuse one this target already imported (RollBack). The checking pass
    asks without a lock; `new_batch` asks again under the writer's lock."""
    from coopapp.imports.parse import file_sha256

    report.sha256 = file_sha256(path)
    earlier = previous_batch(kind, target_id, report.sha256)
    if earlier is not None:
        refuse_duplicate(report, earlier)
        raise RollBack


def new_batch(user, kind: str, target_id: int, report: ImportReport) -> ImportBatch:
    """The batch of a checked file, opened in the writing transaction, which holds the target's lock
    (`ledger.locks.lock_village`): the same file imported meanwhile is refused (RollBack)."""
    earlier = previous_batch(kind, target_id, report.sha256)
    if earlier is not None:
        refuse_duplicate(report, earlier)
        raise RollBack
    batch = ImportBatch(kind=kind, target_id=target_id, file_name=report.file_name[:255], content_sha256=report.sha256)
    batch.created_by_id = user.id
    db.session.add(batch)
    db.session.flush()
    return batch


def changed_meanwhile(report: ImportReport, message) -> None:
    """The writing transaction found that something the check relied on changed while the file was
    read (a month closed, the project stopped, a household gone): nothing is written (RollBack)."""
    report.error(None, None, report.file_name, _("%(what)s请重新导入。", what=message))
    raise RollBack


def close_batch(user, batch: ImportBatch, report: ImportReport) -> None:
    """The batch's rows are all written: note their count and record the batch in the audit chain."""
    batch.rows = report.rows_ok
    audit.record(user, "import_batch.create", batch)
    report.batch_id, report.imported = batch.id, True


class ChunkedWriter:
    """Adds objects in chunks: flush, audit them in one go, forget them — memory stays flat."""

    def __init__(self, user, action: str, extra: dict | None = None):
        self.user, self.action, self.extra = user, action, extra
        self.pending: list = []

    def add(self, obj) -> None:
        db.session.add(obj)
        self.pending.append(obj)
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        audit.record_many(self.user, self.action, self.pending, self.extra)
        for obj in self.pending:
            db.session.expunge(obj)
        self.pending.clear()


class TotalsCheck:
    """Checks 小计 / 合计 / 总计 rows against the sum of the data rows since the previous total of their level."""

    # 汇总: the label of an Excel table's total row (Ctrl+T) in Chinese Excel, a total of the whole table.
    LEVELS = {"小计": 1, "subtotal": 1, "合计": 2, "total": 2, "总计": 3, "汇总": 3, "grandtotal": 3}

    def __init__(self):
        # One running sum and count of rows without an amount, and the sum of the hidden rows read as
        # data (a SUBTOTAL leaves them out); each level remembers where they stood when it was last
        # closed (a total of a level closes the levels below it too).
        self.total, self.missing, self.hidden = 0, 0, 0
        self.marks = {1: (0, 0, 0), 2: (0, 0, 0), 3: (0, 0, 0)}

    def add(self, amount_fen: int | None) -> None:
        if amount_fen is None:
            self.missing += 1  # the levels open now cannot be checked
        else:
            self.total += amount_fen

    def close(self, label: str, visible_only: bool = False) -> tuple[int, bool]:
        """The sum for a total row of `label` (of the visible rows only, for a SUBTOTAL) and whether it
        can be checked; resets the levels it closes."""
        level = self.LEVELS.get(label, 0)
        if level == 0:
            return 0, False
        total, missing, hidden = self.marks[level]
        result = self.total - total - (self.hidden - hidden if visible_only else 0), self.missing == missing
        for lower in range(1, level + 1):
            self.marks[lower] = (self.total, self.missing, self.hidden)
        return result


def _may_be_total(cell: str) -> bool:
    """False for most cells without the cost of `squash`: every label holds 计, 汇 or an l once squashed."""
    if "计" in cell or "l" in cell or "L" in cell or "汇" in cell:
        return True
    return not unicodedata.is_normalized("NFKC", cell)


def total_label(cells: tuple, text: str | None = None) -> str | None:
    """The label of a totals row (合计, 本月合计, 小计, 总计, Total …), or None for any other row.

    `text`: the row's str cells joined, when the caller has it already.
    """
    if text is None:
        text = "".join(c for c in cells if isinstance(c, str))
    if not _may_be_total(text):
        return None
    for cell in cells:
        if isinstance(cell, str) and _may_be_total(cell):
            text = squash(cell).rstrip(":：")
            for prefix in ("", "本月", "本期", "本年", "全年"):
                if text.startswith(prefix):
                    rest = text[len(prefix) :]
                    if rest in TotalsCheck.LEVELS:
                        return rest
                    if rest == "累计":
                        return "累计"
    return None
