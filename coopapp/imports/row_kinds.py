"""What kind of row a table's row is: data, or one an import skips — a blank row, a total row
(小计, 合计, 总计 …, or an Excel table's total row), a signature row (会计：张三 审核：李四).

`row_kind` is the one rule every importer skips rows by (`table.rows_of`).
"""

import re
import unicodedata

from coopapp.core.vocabulary import KINDS
from coopapp.imports.parse import squash

BLANK, SIGNATURE = "blank", "signature"
# A total row's label → its level: a total of a level closes the levels below it (`totals.TotalsCheck`).
# 汇总: the label of an Excel table's total row (Ctrl+T) in Chinese Excel, a total of the whole table.
LEVELS = {"小计": 1, "subtotal": 1, "合计": 2, "total": 2, "总计": 3, "汇总": 3, "grandtotal": 3}
TABLE_TOTAL = "汇总"
# The roles that sign a ledger or a roster off (制表人, 会计, 出纳, 审核, 负责人 …), with the
# "人"/"员" and the office before them that some write (财务负责人, 会计主管), and the date some add.
_ROLE = (
    r"(?:单位|财务|村|部门|会计|合作社|理事会|监事会)?"
    r"(?:制表|填表|填报|编制|会计|出纳|审核|审查|审批|复核|核对|记账|负责|经手|经办|报账|主管|签字|签名|验收|保管|监督|理事长)"
    r"(?:人|员)?(?:签字|签名|签章)?(?:日期)?"
    r"|(?:prepared|checked|approved|reviewed|audited)\s*by|accountant|cashier|date"
)
# One cell of a signature row (NFKC'd: a full-width colon is ":"): one or more "role: name" (the name
# may be blank), or a role alone (its name in the next cell).
_SIGNED = re.compile(rf"(?:(?:{_ROLE})\s*:\s*[^\s:]{{0,30}}\s*)+", re.I)
_ROLE_ALONE = re.compile(rf"(?:{_ROLE})\s*:?", re.I)
_KIND_WORDS = frozenset(unicodedata.normalize("NFKC", w).lower() for w in KINDS.written())
_NAME = re.compile(r"[^\s:\d]{1,10}")  # a person's name: no digits (a number is data)


def row_kind(cells: tuple, table_total: bool = False, text: bool = False) -> str | None:
    """None for a data row; else why the row is skipped: BLANK, SIGNATURE, or a total row's label
    (`total_label`; TABLE_TOTAL for a row an Excel table ends in: `table_total`, whatever its cells
    say). `text`: every cell is a str (a CSV file's), which lets the row's text be joined once."""
    if text:  # (`is_blank`, with the row's text joined once for it and the totals check)
        joined = "".join(cells)
        if not joined or joined.isspace():
            return BLANK
    else:  # typed cells (a workbook's): the text cells joined once serve `is_blank` and the totals check
        texts = [c for c in cells if isinstance(c, str)]
        joined = "".join(texts)
        if (not joined or joined.isspace()) and len(texts) + cells.count(None) == len(cells):
            return BLANK
    label = total_label(cells, joined)
    if label is not None:
        return label
    if table_total:
        return TABLE_TOTAL
    return SIGNATURE if is_signature(cells) else None


def is_blank(cells) -> bool:
    """No cell holds anything but spaces (stops at the first that does)."""
    for c in cells:
        if c is not None and not (isinstance(c, str) and not c.strip()):
            return False
    return True


def is_signature(cells: tuple) -> bool:
    """A sign-off row such as `会计：张三   审核：李四   负责人：王五`, wherever its cells fall: every
    non-blank cell is a "role：name" text (full-width or ASCII colon, the name may be blank), or a
    role alone followed by its name in the next non-blank cell. A number anywhere: not one."""
    texts = []
    for cell in cells:
        if cell is None:
            continue
        if cell.__class__ is not str:
            return False
        if cell and not cell.isspace():
            if not texts and cell.lstrip()[0].isdigit():
                return False  # (a date or a number first: a data row, told without NFKC)
            text = unicodedata.normalize("NFKC", cell).strip()
            if not texts and not (_SIGNED.fullmatch(text) or _ROLE_ALONE.fullmatch(text)):
                return False  # (the first text must sign: a data row stops here, at its date or its note)
            texts.append(text)
    if not texts:
        return False
    at = 0
    while at < len(texts):
        text = texts[at]
        if _SIGNED.fullmatch(text):
            at += 1
        elif _ROLE_ALONE.fullmatch(text):
            following = texts[at + 1] if at + 1 < len(texts) else None
            if following is None or _SIGNED.fullmatch(following) or _ROLE_ALONE.fullmatch(following):
                at += 1  # a role with no name, or another role next
            elif _NAME.fullmatch(following) and squash(following) not in _KIND_WORDS:
                at += 2  # (会计 | 销售收入 is a data row's note and kind, not a signature)
            else:
                return False
        else:
            return False
    return True


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
                    if rest in LEVELS:
                        return rest
                    if rest == "累计":
                        return "累计"
            named = _NAMED_PERIOD.match(text)  # 11月小计, 1-11月合计, 2025年3月份合计, 第一季度小计, 上半年累计
            if named and named.end():
                rest = text[named.end() :]
                if rest in LEVELS or rest == "累计":
                    return rest
    return None


# A month, a range of months, a quarter or a half-year before a total's label, as accountants write
# them (squashed: NFKC, no spaces): 11月, 1-11月, 1至11月, 2025年3月份, 第一季度, 一季度, 上半年.
_NAMED_PERIOD = re.compile(
    r"(?:(?:19|20)\d{2}年)?"
    r"(?:\d{1,2}(?:[-~—–至到]\d{1,2})?月份?|第?[一二三四1-4]季度|[上下]半年)?"
)
