"""The area tree is in the audit chain: SQL behind the app's back is caught; the migration adopts old areas."""

from types import SimpleNamespace

from sqlalchemy import text

from coopapp import create_app
from coopapp.access import audit
from coopapp.extensions import db
from coopapp.models import Area, AuditEvent
from coopapp.models.base import utcnow

from .builders import insert_old_areas


def test_every_area_of_the_world_is_audited(world):
    assert audit.verify() is None
    events = db.session.query(AuditEvent).filter_by(object_type="area", action="area.create").count()
    assert events == db.session.query(Area).count() == 7


def test_moving_a_village_by_sql_fails_verify(app, world):
    """八维村 moved under 中洞村 behind the app's back: its secretary would read 八维村's households."""
    zhongdong, bawei = world.village, world.other_village
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE areas SET parent_id = :p, path = :path WHERE id = :id"),
            {"p": zhongdong.id, "path": f"{zhongdong.path}{bawei.code}/", "id": bawei.id},
        )
    db.session.expire_all()
    problem = audit.verify()
    assert problem is not None and f"area {bawei.id}" in problem.message
    result = app.test_cli_runner().invoke(args=["coop", "audit", "verify"])
    assert result.exit_code == 1 and "FAILED" in result.output


def test_renaming_a_village_by_sql_fails_verify(world):
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE areas SET name = '新名' WHERE id = :id"), {"id": world.other_village.id})
    db.session.expire_all()
    assert audit.verify() is not None


def test_an_area_inserted_by_sql_fails_verify(world):
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO areas (code, name, level, parent_id, path, retired) VALUES (:c, '假村', 'village', :p, :path, false)"
            ),
            {"c": "441323110299", "p": world.town_a.id, "path": f"{world.town_a.path}441323110299/"},
        )
    assert "no audit event" in audit.verify().message


def test_the_migration_adopts_the_areas_already_there(empty_database):
    """A database from before areas were audited stays green after the upgrade."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="d7f4b8c3e504")
        with db.engine.begin() as conn:
            insert_old_areas(conn)
            # An earlier event in the chain that the adopting events must link to.
            first = SimpleNamespace(
                seq=1,
                created_at=utcnow(),
                actor_id=None,
                action="rollup.rebuild",
                object_type="none",
                object_id=None,
                data=audit.canonical({"snapshot": None}),
            )
            first.hash = audit.event_hash(audit.GENESIS, first)
            conn.execute(
                text(
                    "INSERT INTO audit_events (seq, created_at, actor_id, action, object_type, object_id, data, "
                    "prev_hash, hash) VALUES (1, :at, NULL, :a, 'none', NULL, :d, :p, :h)"
                ),
                {"at": first.created_at, "a": first.action, "d": first.data, "p": audit.GENESIS, "h": first.hash},
            )
            conn.execute(text("UPDATE audit_head SET seq = 1, hash = :h WHERE id = 1"), {"h": first.hash})
        upgrade()
        try:
            assert audit.verify() is None
            adopted = db.session.query(AuditEvent).filter_by(action="area.adopt").order_by(AuditEvent.seq).all()
            assert [(e.seq, e.object_id) for e in adopted] == [(2, 1), (3, 2), (4, 3)]
            assert not db.session.get(Area, 3).retired and db.session.get(Area, 3).published_name is None
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE areas SET parent_id = 1 WHERE id = 3"))
            db.session.expire_all()
            assert audit.verify() is not None
        finally:
            db.session.remove()
            db.engine.dispose()
