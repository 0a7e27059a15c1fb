"""A NUL character typed or pasted into a page's form or query (PostgreSQL text cannot hold
one) is a clear 400, never a 500, and writes nothing."""

from sqlalchemy import func, select

from coopapp.extensions import db as _db
from coopapp.models import Household, LedgerEntry


def test_a_nul_in_a_form_field_is_refused_and_nothing_is_written(world, client, auth):
    auth.login("sec")
    before = _db.session.scalar(select(func.count()).select_from(Household))
    resp = client.post(
        f"/village/households/new?village={world.village.code}",
        data={"head_name": "张\x00三", "members": "3"},
    )
    assert resp.status_code == 400
    assert "空字符" in resp.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(Household)) == before


def test_a_nul_in_a_query_or_path_is_refused(world, client, auth):
    auth.login("acc")
    assert client.get("/entries?period=2025-0\x001").status_code == 400
    assert client.get("/s/abc\x00def").status_code == 400
    assert _db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_a_nul_in_a_repeated_query_argument_is_refused_too(world, client, auth):
    """Not only the first value of a repeated argument is checked."""
    auth.login("acc")
    assert client.get("/entries?status=draft&status=app\x00roved").status_code == 400
    assert client.get("/api/v1/entries?status=draft&status=app\x00roved").status_code == 400
