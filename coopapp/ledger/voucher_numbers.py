"""Voucher numbers (凭证号): each approved entry gets the next number of its village and month.

The numbers of a village's month run 1, 2, 3 … in the order of approval. The next one is the
month's highest plus one, read under the village's lock (`locks.lock_village`), so two approvals
in one village cannot take the same number; the unique index on (village, month, number) is the
last guard. A bulk approval (an import batch's 全部通过, a plan's payouts) reads each month's
highest number once, in one query, and counts on from there (`VoucherNumbers.prefetch`).
"""

from sqlalchemy import func, select, tuple_

from coopapp.extensions import db
from coopapp.ledger.locks import lock_village
from coopapp.models import LedgerEntry


class VoucherNumbers:
    """Hands out the next voucher number of each (village, month) within one transaction."""

    def __init__(self) -> None:
        self.last: dict[tuple[int, str], int] = {}  # (village id, month) → highest number given
        self.locked: set[int] = set()

    def _lock(self, village_ids) -> None:
        for village_id in sorted(set(village_ids) - self.locked):
            lock_village(village_id)
            self.locked.add(village_id)

    def prefetch(self, entries: list[LedgerEntry]) -> None:
        """Lock the entries' villages and read the highest number of each of their months, in one query."""
        keys = {(e.village_id, e.period) for e in entries} - set(self.last)
        if not keys:
            return
        self._lock(v for v, _p in keys)
        q = (
            select(LedgerEntry.village_id, LedgerEntry.period, func.max(LedgerEntry.voucher_no))
            .where(tuple_(LedgerEntry.village_id, LedgerEntry.period).in_(sorted(keys)))
            .where(LedgerEntry.voucher_no.is_not(None))  # (the partial unique index's rows)
            .group_by(LedgerEntry.village_id, LedgerEntry.period)
        )
        found = {(v, p): n or 0 for v, p, n in db.session.execute(q)}
        for key in keys:
            self.last[key] = found.get(key, 0)

    def assign(self, entry: LedgerEntry) -> int:
        """Give `entry` the next number of its village and month (it keeps one it already has)."""
        if entry.voucher_no is not None:
            return entry.voucher_no
        self.prefetch([entry])
        key = (entry.village_id, entry.period)
        self.last[key] += 1
        entry.voucher_no = self.last[key]
        return entry.voucher_no
