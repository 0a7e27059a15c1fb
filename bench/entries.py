"""Ten years of approved ledger entries for `coop bench generate` (see `benchgen`)."""

import math
from datetime import date, datetime, timedelta

from bench.generate import NOTES, PAYOUT_NOTES, PAYOUTS, PROJECT_KINDS, YEARS, _dec_text
from coopapp.access import audit
from coopapp.ledger.operations import today

COLUMNS = (
    "id",
    "project_id",
    "village_id",
    "period",
    "entry_date",
    "kind",
    "amount_fen",
    "quantity",
    "unit",
    "household_id",
    "note",
    "status",
    "created_by_id",
    "created_at",
    "reviewed_by_id",
    "reviewed_at",
    "version",
)
HEAD = ("output", "collective_income", "sales", "cost")


def periods() -> list[tuple[int, int]]:
    """(year, month) from January ten years back through the current month."""
    now = today()
    return [
        (y, m)
        for y in range(now.year - YEARS + 1, now.year + 1)
        for m in range(1, 13)
        if (y, m) <= (now.year, now.month)
    ]


def write_entries(county) -> int:
    """Insert `county.scale.entries` approved entries with their audit events; returns the count."""
    ld, rng = county.ld, county.rng
    months = periods()
    slots = len(county.projects) * len(months)
    total = county.scale.entries
    base, extra = divmod(total, slots) if slots else (0, 0)
    rows, next_id, slot = [], 1, 0
    first_year = months[0][0] if months else 0
    before, after = audit.snapshot_frame()
    for pid, vid, ptype, annual, collective in county.projects:
        accountant, secretary = county.staff[vid]
        homes = county.homes[vid]
        _cap, _span, _per, out_unit, price = PROJECT_KINDS[ptype]
        for year, month in months:
            n = base + ((slot + 1) * extra) // slots - (slot * extra) // slots
            slot += 1
            if n == 0:
                continue
            level = 1.05 ** (year - first_year) * (1 + 0.25 * math.cos(2 * math.pi * (month - 6) / 12))
            output_fen = int(annual * 100 / 12 * level * rng.uniform(0.85, 1.15))
            period = f"{year}-{month:02d}"
            created = datetime(year, month, 1, 9) + timedelta(days=rng.randrange(27))
            reviewed = created + timedelta(days=3, hours=2)
            created_s, reviewed_s = ld.value(created), ld.value(reviewed)
            for i in range(n):
                kind = HEAD[i] if i < len(HEAD) else rng.choice(PAYOUTS)
                quantity = unit = household = None
                if kind == "output":
                    amount = output_fen
                    if out_unit:
                        quantity, unit = round(output_fen / 100 / float(price) * 1000), out_unit
                elif kind == "collective_income":
                    amount = int(collective * 100 / 12 * level * rng.uniform(0.8, 1.2))
                elif kind == "sales":
                    amount = int(output_fen * rng.uniform(0.8, 0.95))
                elif kind == "cost":
                    amount = int(output_fen * rng.uniform(0.3, 0.5))
                elif not homes or rng.random() < 0.04:
                    kind, amount = "subsidy", rng.randint(1_000, 20_000) * 100
                else:
                    amount, household = rng.randint(200, 3_000) * 100, rng.choice(homes)
                note = NOTES.get(kind) or PAYOUT_NOTES[kind]
                day_s = f"{period}-{1 + i % 28:02d}"
                rows.append(
                    (
                        next_id, pid, vid, period, day_s if not ld.pg else date.fromisoformat(day_s), kind, amount, quantity, unit, household, note,
                        "approved", accountant, created_s, secretary, reviewed_s, 1,
                    )
                )  # fmt: skip
                # The event's data: the entry's audit snapshot as `canonical` writes it (sorted keys,
                # no spaces) inside `audit.event_data`'s frame.
                hh = "null" if household is None else household
                qty = "null" if quantity is None else f'"{_dec_text(quantity)}"'
                un = "null" if unit is None else f'"{unit}"'
                data_text = (
                    f'{before}{{"amount_fen":{amount},"created_by_id":{accountant},"entry_date":"{day_s}",'
                    f'"household_id":{hh},"kind":"{kind}","note":"{note}","period":"{period}","project_id":{pid},'
                    f'"quantity":{qty},"return_reason":null,"reversal_reason":null,"reverses_id":null,'
                    f'"reviewed_by_id":{secretary},"status":"approved","unit":{un},"village_id":{vid}}}{after}'
                )
                ld.audit_text(secretary, "entry.approve", "entry", next_id, data_text)
                next_id += 1
                if len(rows) >= 20_000:
                    _flush(ld, rows, next_id - 1, total)
                    rows = []
    _flush(ld, rows, next_id - 1, total)
    return next_id - 1


def _flush(ld, rows: list[tuple], done: int, total: int) -> None:
    ld.insert("ledger_entries", COLUMNS, rows)
    ld.flush_events()
    if rows and (done % 200_000 < len(rows) or done == total):
        ld.log(f"{done:,} / {total:,} entries")
