"""The one place that commits: every operation runs inside `atomic`."""

import functools
from contextvars import ContextVar

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from coopapp.errors import Conflict
from coopapp.extensions import db

_depth: ContextVar[int] = ContextVar("tx_depth", default=0)


def atomic(func):
    """Commit when the outermost operation returns, roll back everything if it raises.

    Nested operations join the outer transaction, so an audit event and the change
    it records are always written together or not at all.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        depth = _depth.get()
        token = _depth.set(depth + 1)
        try:
            result = func(*args, **kwargs)
            if depth == 0:
                db.session.commit()
            return result
        except StaleDataError as exc:
            if depth == 0:
                db.session.rollback()
            # Someone else changed the row since we read it (e.g. two secretaries approving at once).
            raise Conflict(_("该记录已被他人处理，请刷新后重试。")) from exc
        except IntegrityError as exc:
            if depth == 0:
                db.session.rollback()
            # A uniqueness rule the checks could not see yet (a concurrent request won the race).
            raise Conflict(_("与已有记录冲突（可能刚被他人处理），请刷新后重试。")) from exc
        except BaseException:
            if depth == 0:
                db.session.rollback()
            raise
        finally:
            _depth.reset(token)

    return wrapper
