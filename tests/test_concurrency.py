"""Concurrent writers keep one unbroken audit chain and exact summaries (SQLite and PostgreSQL)."""

import threading

from coopapp.access import audit
from coopapp.extensions import db
from coopapp.ledger import operations as ledger
from coopapp.ledger import rollups
from coopapp.models import LedgerEntry, User

from .builders import entry_input


def test_parallel_approvals_keep_the_chain_and_the_summaries(app, world):
    acc = world.users["accountant"]
    ids = []
    for i in range(24):
        entry = ledger.create_entry(acc, entry_input(world.project, amount_fen=100 + i))
        ledger.submit_entry(acc, entry)
        ids.append(entry.id)
    secretary_id = world.users["secretary"].id
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def approve_all(my_ids):
        with app.app_context():
            try:
                sec = db.session.get(User, secretary_id)
                barrier.wait()
                for entry_id in my_ids:
                    ledger.approve_entry(sec, db.session.get(LedgerEntry, entry_id))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve_all, args=(ids[k::3],)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    assert db.session.query(LedgerEntry).filter_by(status="approved").count() == 24
    # the village's lock hands each approval the next voucher number (凭证号): none twice, none skipped
    assert sorted(e.voucher_no for e in db.session.query(LedgerEntry)) == list(range(1, 25))
    assert audit.verify() is None
    assert rollups.verify() == []
