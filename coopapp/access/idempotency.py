"""`Idempotency-Key`: a write sent twice (a retried or doubled offline sync) is done once.

Keys are per user and kept KEEP_DAYS days. The first request with a key inserts an in-flight
marker row and commits it, so the unique (user, key) constraint decides between two requests
racing with one key: the loser answers 409. The work and the marker's stored response are then
committed together, so a key is never remembered for a write that did not happen, nor a write
done without its key; a write that fails frees its key. A repeat with the same body gets the
stored status and body; the same key with another body is a 422.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from coopapp.core.tx import atomic
from coopapp.errors import BadRequest, Conflict, Invalid
from coopapp.extensions import db
from coopapp.models import IdempotencyKey
from coopapp.models.base import utcnow

KEEP_DAYS = 7
# A marker still in flight after this long belongs to a request whose process died (gunicorn's
# timeout is 60 s): its work was never committed, so a new request may take the key over.
IN_FLIGHT_SECONDS = 300
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Stored:
    """The response of the first request with a key, replayed to its repeats."""

    status: int
    body: str


def check_key(key: str) -> str:
    """The header's value: 1–255 visible ASCII characters (a UUID fits); BadRequest otherwise."""
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in key):
        raise BadRequest(
            _("Idempotency-Key 应为 1–255 个可见 ASCII 字符（例如一个 UUID）。"),
            {HEADER: _("应为 1–255 个可见 ASCII 字符。")},
        )
    return key


def body_hash(payload: dict) -> str:
    """SHA-256 of the request's JSON body in one canonical form (key order and spacing do not count)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def claim(user_id: int, key: str, digest: str) -> IdempotencyKey | Stored:
    """Take `key` for this request (its in-flight marker, committed) or, when the key was used
    before, the stored response to replay. 422 when the key came with another body, 409 while
    the first request with it is still in flight. Prunes keys past KEEP_DAYS on the way."""
    now = utcnow()
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - timedelta(days=KEEP_DAYS)))
    db.session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.status.is_(None),
            IdempotencyKey.created_at < now - timedelta(seconds=IN_FLIGHT_SECONDS),
        )
    )
    marker = IdempotencyKey(user_id=user_id, key=key, body_hash=digest, created_at=now)
    db.session.add(marker)
    try:
        db.session.commit()
        return marker
    except IntegrityError:
        db.session.rollback()
    earlier = db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if earlier is not None and earlier.body_hash != digest:
        raise Invalid(
            _("这个 Idempotency-Key 已用于内容不同的另一个请求。"),
            {HEADER: _("请为新的请求另外生成一个键。")},
        )
    if earlier is None or earlier.status is None:
        raise Conflict(_("带同一个 Idempotency-Key 的请求正在处理中，请稍后重试。"))
    return Stored(earlier.status, earlier.response or "")


def run_once(marker: IdempotencyKey, work: Callable[[], Stored]) -> Stored:
    """Do `work` (an operation returning the response) and store its response on the marker, in
    one transaction; if it raises, the key is freed (nothing was written) and the error goes on."""
    marker_id = marker.id
    try:
        return _work_and_store(marker_id, work)
    except BaseException:
        _release(marker_id)
        raise


@atomic
def _work_and_store(marker_id: int, work: Callable[[], Stored]) -> Stored:
    response = work()
    marker = db.session.get(IdempotencyKey, marker_id)
    if marker is None:  # pruned as stale meanwhile: let the repeat start afresh rather than replay nothing
        raise Conflict(_("带同一个 Idempotency-Key 的请求正在处理中，请稍后重试。"))
    marker.status, marker.response = response.status, response.body
    return response


def _release(marker_id: int) -> None:
    try:
        db.session.rollback()
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == marker_id))
        db.session.commit()
    except Exception:  # noqa: BLE001 - the work's own error matters more; the marker goes stale and is taken over
        db.session.rollback()
