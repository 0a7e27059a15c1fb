"""The income statement (收益及收益分配表, 2023 rules for rural collective economic organisations),
in one place: every page that shows 收入, 支出 or 收益 sums the kinds through `statement`.

The table itself is `vocabulary.INCOME_STATEMENT` (kind → line):

- 经营收入 ← 销售收入 (sales); 投资收益 ← 村集体收入 (collective income: the collective's share of a
  project's earnings); 补助收入 ← 补贴 (subsidy). They are the income (收入).
- 经营支出 ← 成本 (cost, as old rows and files write it) and 经营支出; 管理费用, 公益支出, 其他支出 ←
  their kinds. They are the spending (支出).
- 收益分配 ← the payouts to households (分红, 务工, 收购, 租金, 公益岗位): what the income is shared out
  as, not spending.
- 产值 (output) is on no line: it is the value of what was produced (DESIGN: "output value"), a
  measure of production, not money received; what is sold of it is a sales entry. Counting it
  as income would count the same honey twice.

net income (本年收益) = the income lines − the spending lines. Red entries and reversals count with
their sign, as in the summaries.
"""

from collections.abc import Iterable

from coopapp.core.vocabulary import EXPENSE_LINES, INCOME_LINES, INCOME_STATEMENT, SPENDING_KINDS, STATEMENT_LINES

INCOME_KINDS = tuple(k for k, line in INCOME_STATEMENT.items() if line in INCOME_LINES)
# The table puts exactly the spending kinds on the spending lines (tests/test_spending.py holds it to that).
EXPENSE_KINDS = SPENDING_KINDS
DISTRIBUTION_KINDS = tuple(k for k, line in INCOME_STATEMENT.items() if line == "distribution")


def line_of(kind: str) -> str | None:
    """The statement line of a kind (None for 产值)."""
    return INCOME_STATEMENT.get(kind)


def statement(amounts: Iterable[tuple[str, int]]) -> dict:
    """(kind, amount_fen) pairs → the statement: `lines` (line → fen, every line), `income_fen`,
    `expense_fen`, `net_income_fen`, `distribution_fen`."""
    lines = dict.fromkeys(STATEMENT_LINES, 0)
    for kind, amount in amounts:
        line = INCOME_STATEMENT.get(kind)
        if line is not None:
            lines[line] += int(amount or 0)
    income = sum(lines[line] for line in INCOME_LINES)
    expense = sum(lines[line] for line in EXPENSE_LINES)
    return {
        "lines": lines,
        "income_fen": income,
        "expense_fen": expense,
        "net_income_fen": income - expense,
        "distribution_fen": lines["distribution"],
    }
