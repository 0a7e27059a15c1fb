"""Every row that grants access is vouched for by the audit chain: API tokens, import batches and a
digest of each household's public-page key. A row inserted or edited by SQL fails `audit verify`,
naming it; the migration adopts the rows already there."""

import hashlib
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select, text

from coopapp import create_app
from coopapp.access import accounts, audit
from coopapp.extensions import db
from coopapp.models import ApiToken, AuditEvent, Household, ImportBatch
from coopapp.models.base import utcnow
from coopapp.villages import catalog

from .builders import insert_old_areas, run_import, run_roster, write_roster, write_xlsx


def _verify_fails(app, *words: str) -> None:
    db.session.expire_all()
    problem = audit.verify()
    assert problem is not None
    for word in words:
        assert word in problem.message, problem.message
    result = app.test_cli_runner().invoke(args=["coop", "audit", "verify"])
    assert result.exit_code == 1 and words[0] in result.output


def test_issuing_and_revoking_tokens_is_in_the_chain(world):
    acc = world.users["accountant"]
    token = accounts.issue_token(acc)
    accounts.revoke_token(acc, token)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "api_token").order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == ["api_token.create", "api_token.revoke"]
    row = db.session.scalars(select(ApiToken)).one()
    assert row.token_hash not in events[0].data and token not in events[0].data
    assert audit.verify() is None


def test_a_token_inserted_by_sql_fails_verify(app, world):
    accounts.issue_token(world.users["accountant"])
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO api_tokens (id, user_id, token_hash, created_at, expires_at) VALUES (9, :u, :h, :t, :e)"),
            {"u": world.users["admin"].id, "h": "a" * 64, "t": utcnow(), "e": utcnow() + timedelta(days=30)},
        )
    _verify_fails(app, "api_token 9", "no audit event")


def test_a_token_revived_or_swapped_by_sql_fails_verify(app, world):
    acc = world.users["accountant"]
    accounts.revoke_token(acc, accounts.issue_token(acc))
    row_id = db.session.scalars(select(ApiToken.id)).one()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET revoked_at = NULL"))
    _verify_fails(app, f"api_token {row_id}", "edited")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET revoked_at = :t, token_hash = :h"), {"t": utcnow(), "h": "b" * 64})
    _verify_fails(app, f"api_token {row_id}", "edited")


def test_imports_record_their_batch_and_a_batch_inserted_by_sql_fails_verify(app, world, tmp_path):
    day = (utcnow().date().replace(day=1) - timedelta(days=1)).replace(day=5)
    path = write_xlsx(tmp_path / "台账.xlsx", [[day.isoformat(), "蜂蜜销售", "销售收入", None, "100", None]])
    code, report = run_import(app, "ledger", path, "--project", world.project.id)
    assert code == 0, report
    roster = write_roster(tmp_path / "花名册.xlsx", [("陈七", 4, "中洞一组", None, None, "否")])
    code, report = run_roster(app, roster, "--village", world.village.code)
    assert code == 0, report
    db.session.expire_all()
    assert audit.verify() is None
    batches = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "import_batch").order_by(AuditEvent.seq)
    ).all()
    assert [(e.action, e.object_id) for e in events] == [("import_batch.create", b.id) for b in batches]
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO import_batches (id, kind, target_id, file_name, content_sha256, rows, created_by_id, "
                "created_at) VALUES (77, 'ledger', :p, 'x.csv', :s, 0, :u, :t)"
            ),
            {"p": world.project.id, "s": "c" * 64, "u": world.users["accountant"].id, "t": utcnow()},
        )
    _verify_fails(app, "import_batch 77", "no audit event")


def test_a_public_link_key_set_by_sql_fails_verify_and_reissuing_it_is_audited(app, world):
    home = world.households[0]
    catalog.reissue_public_link(world.users["secretary"], home)
    assert audit.verify() is None
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.action == "household.public_link" and home.public_token not in event.data
    assert hashlib.sha256(home.public_token.encode()).hexdigest() in event.data
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE households SET public_token = :t WHERE id = :i"), {"t": "k" * 43, "i": home.id})
    _verify_fails(app, f"household {home.id}", "edited")


def _append_event(conn, seq: int, prev: str, action: str, otype: str, oid: int, snapshot: dict) -> str:
    ev = SimpleNamespace(
        seq=seq,
        created_at=utcnow(),
        actor_id=None,
        action=action,
        object_type=otype,
        object_id=oid,
        data=audit.event_data(snapshot),
    )
    ev.hash = audit.event_hash(prev, ev)
    conn.execute(
        text(
            "INSERT INTO audit_events (seq, created_at, actor_id, action, object_type, object_id, data, prev_hash, "
            "hash) VALUES (:s, :at, NULL, :a, :ot, :oi, :d, :p, :h)"
        ),
        {"s": seq, "at": ev.created_at, "a": action, "ot": otype, "oi": oid, "d": ev.data, "p": prev, "h": ev.hash},
    )
    conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": seq, "h": ev.hash})
    return ev.hash


def test_the_migration_adopts_tokens_batches_and_households(empty_database):
    """A database from before tokens, batches and public links were vouched for stays green."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="d7f4b8c3e504")
        with db.engine.begin() as conn:
            insert_old_areas(conn)
        upgrade(revision="39b722cbeb52")  # adopts the areas: events 1-3
        now = utcnow()
        with db.engine.begin() as conn:
            head = conn.execute(text("SELECT seq, hash FROM audit_head")).one()
            conn.execute(
                text(
                    "INSERT INTO users (id, username, password_hash, role, area_id, active, created_at) "
                    "VALUES (1, 'acc', 'x', 'accountant', 3, :y, :t)"
                ),
                {"y": True, "t": now},
            )
            user = {"username": "acc", "role": "accountant", "area_id": 3, "active": True}
            user["password"] = hashlib.sha256(b"x").hexdigest()
            _append_event(conn, head.seq + 1, head.hash, "user.create", "user", 1, user)
            conn.execute(
                text(
                    "INSERT INTO households (id, village_id, head_name, members, formerly_poor, monitored, "
                    "public_token) VALUES (1, 3, '张三', 3, :n, :n, :k)"
                ),
                {"n": False, "k": "p" * 43},
            )
            conn.execute(
                text(
                    "INSERT INTO api_tokens (id, user_id, token_hash, created_at, expires_at) VALUES (1, 1, :h, :t, :e)"
                ),
                {"h": "a" * 64, "t": now, "e": now + timedelta(days=30)},
            )
            conn.execute(
                text(
                    "INSERT INTO import_batches (id, kind, target_id, file_name, content_sha256, rows, created_by_id, "
                    "created_at) VALUES (1, 'households', 3, 'a.xlsx', :s, 1, 1, :t)"
                ),
                {"s": "c" * 64, "t": now},
            )
        upgrade()
        try:
            assert audit.verify() is None
            adopted = db.session.scalars(
                select(AuditEvent).where(AuditEvent.action.endswith(".adopt")).order_by(AuditEvent.seq)
            ).all()
            assert [(e.action, e.object_id) for e in adopted][-3:] == [
                ("api_token.adopt", 1),
                ("import_batch.adopt", 1),
                ("household.adopt", 1),
            ]
            assert db.session.get(Household, 1).audit_snapshot()["public_link"] in adopted[-1].data
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE api_tokens SET user_id = 1, token_hash = :h"), {"h": "d" * 64})
            db.session.expire_all()
            assert "api_token 1" in audit.verify().message
        finally:
            db.session.remove()
            db.engine.dispose()
