"""`Idempotency-Key` on POST /api/v1/entries: a retried or doubled send creates exactly one entry."""

import queue
import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from coopapp.extensions import db
from coopapp.ledger import operations
from coopapp.models import IdempotencyKey, LedgerEntry
from coopapp.models.base import utcnow

from .builders import body, entry_body, login

KEY = "5f0c8e3a-8d7e-4c55-9a57-2b1f0c9e6d11"


def _entries() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def _post(api, payload, key=KEY):
    """POST an entry with `key` as an ApiClient (its Bearer token) or a (test client, headers) pair."""
    client, headers = (api.client, api.headers) if hasattr(api, "client") else api
    return client.post("/api/v1/entries", json=payload, headers={"Idempotency-Key": key, **headers})


def test_a_repeat_with_the_same_body_gets_the_first_response(app, world):
    acc = login(app, "acc")
    payload = entry_body(world, note="蜂蜜")
    first = _post(acc, payload)
    assert first.status_code == 201, first.get_json()
    again = _post(acc, dict(reversed(payload.items())))  # the same body, its keys in another order
    assert again.status_code == 201 and body(again) == body(first)
    assert _entries() == 1
    plain = acc.post("/api/v1/entries", json=payload)  # without the header: a new entry each time
    assert plain.status_code == 201 and body(plain)["id"] != body(first)["id"]
    assert _entries() == 2


def test_the_same_key_with_another_body_is_refused(app, world):
    acc = login(app, "acc")
    assert _post(acc, entry_body(world, amount="10")).status_code == 201
    resp = _post(acc, entry_body(world, amount="11"))
    assert resp.status_code == 422
    assert "Idempotency-Key" in body(resp)["error"]["fields"]
    assert _entries() == 1


def test_keys_are_per_user(app, world):
    first = _post(login(app, "acc"), entry_body(world))
    other = _post(login(app, "acc2"), entry_body(world, project_id=world.other_project.id))
    assert first.status_code == other.status_code == 201, other.get_json()
    assert _entries() == 2


def test_a_refused_request_frees_its_key(app, world):
    """A 422 (a closed month, a bad household) wrote nothing: the fixed draft may come with the same key."""
    acc = login(app, "acc")
    refused = _post(acc, entry_body(world, kind="dividend"))  # a payout needs a household
    assert refused.status_code == 422 and "household_id" in body(refused)["error"]["fields"]
    fixed = _post(acc, entry_body(world, kind="dividend", household_id=world.households[0].id))
    assert fixed.status_code == 201, fixed.get_json()
    assert _entries() == 1


def test_a_bad_key_is_a_bad_request(app, world):
    acc = login(app, "acc")
    for key in ("", "a b", "x" * 256):
        resp = _post(acc, entry_body(world), key=key)
        assert resp.status_code == 400 and "Idempotency-Key" in body(resp)["error"]["fields"], key
    assert _entries() == 0


def test_keys_are_kept_seven_days(app, world):
    acc = login(app, "acc")
    first = body(_post(acc, entry_body(world)))
    db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(days=6, hours=23)))
    db.session.commit()
    assert body(_post(acc, entry_body(world)))["id"] == first["id"]
    db.session.execute(update(IdempotencyKey).values(created_at=utcnow() - timedelta(days=7, minutes=1)))
    db.session.commit()
    later = _post(acc, entry_body(world))
    assert later.status_code == 201 and body(later)["id"] != first["id"]
    assert _entries() == 2
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1  # the old one pruned


def test_two_concurrent_requests_with_one_key(app, world, monkeypatch):
    """The first holds the key while it works; the second, sent meanwhile, is a 409; one entry."""
    token = login(app, "acc").headers
    payload = entry_body(world)
    released, answers = threading.Event(), queue.Queue()
    real_create = operations.create_entry

    def slow_create(*args, **kwargs):
        released.wait(timeout=20)  # until the other request has been answered
        return real_create(*args, **kwargs)

    monkeypatch.setattr(operations, "create_entry", slow_create)
    barrier = threading.Barrier(2)

    def send():
        client = app.test_client()
        barrier.wait()
        answers.put(_post((client, token), payload).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    first = answers.get(timeout=30)
    released.set()
    for t in threads:
        t.join(timeout=30)
    assert (first, answers.get(timeout=1)) == (409, 201)
    assert _entries() == 1
