"""The admin's user pages: list by area, add (the one-time password shown once), change,
deactivate / activate, reset a password, and a sheet uploaded with a preview."""

import io
import re

from sqlalchemy import select

from coopapp.access import accounts
from coopapp.extensions import db
from coopapp.models import User

from .builders import hidden_fields


def _admin(auth):
    assert auth.login("admin").status_code == 302


def _otps(html: str) -> list[str]:
    return re.findall(r'class="mono otp">([^<]+)<', html)


def test_add_a_user_and_see_the_one_time_password_once(world, auth, client):
    _admin(auth)
    form = {"username": "ganxi.acc", "display_name": "李会计", "role": "accountant", "area": world.sibling_village.code}
    resp = client.post("/admin/users/new", data={**form, "phone": "138 0000 0001"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    [otp] = _otps(resp.get_data(as_text=True))
    assert accounts.authenticate("ganxi.acc", otp).must_change_password
    page = client.get("/admin/users").get_data(as_text=True)
    assert "李会计" in page and otp not in page
    auth.logout()
    client.post("/login", data={"username": "ganxi.acc", "password": otp})
    page = client.get("/password").get_data(as_text=True)  # the first login: the one-time password, named so
    assert "一次性密码（管理员发给您的）" in page and "当前密码" not in page


def test_bad_input_is_shown_beside_the_field(world, auth, client):
    _admin(auth)
    resp = client.post(
        "/admin/users/new", data={"username": "acc", "display_name": "  ", "role": "reviewer", "area": "441323110"}
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "用户名已存在" in page and "姓名不能只有空格" in page


def test_the_list_filters_by_area(world, auth, client):
    _admin(auth)
    page = client.get(f"/admin/users?area={world.town_b.code}").get_data(as_text=True)
    assert "acc2" in page and ">acc<" not in page


def test_change_deactivate_activate_and_reset(world, auth, client):
    _admin(auth)
    data = {"display_name": "王书记", "role": "secretary", "area": world.village.code, "phone": ""}
    assert client.post("/admin/users/sec/edit", data=data).status_code == 302
    page = client.get("/admin/users/sec/edit").get_data(as_text=True)
    assert "王书记" in page and "display_name" in page  # the history lists the change
    assert client.post("/admin/users/sec/deactivate").status_code == 302
    assert not db.session.scalar(select(User.active).where(User.username == "sec"))
    assert client.post("/admin/users/sec/activate").status_code == 302
    resp = client.post("/admin/users/sec/reset-password")
    [otp] = _otps(resp.get_data(as_text=True))
    assert accounts.authenticate("sec", otp).username == "sec"


CSV = "用户名,姓名,角色,区域代码,手机\nganxi.acc,李会计,村会计,441323110202,13800000001\ngaotan.rev,赵审核,审核员,441323110,\n"


def test_a_sheet_is_previewed_then_created_with_printable_passwords(world, auth, client, uploads):
    _admin(auth)
    resp = client.post("/admin/users/import", data={"file": (io.BytesIO(CSV.encode()), "users.csv")})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "ganxi.acc" in page and "确认添加" in page
    assert db.session.scalar(select(User).where(User.username == "ganxi.acc")) is None
    confirm = hidden_fields(page.split('id="confirm-users"')[0].rsplit("<form", 1)[1])
    resp = client.post("/admin/users/import/confirm", data=confirm)
    otps = _otps(resp.get_data(as_text=True))
    assert resp.status_code == 200 and len(otps) == 2 and "data-print" in resp.get_data(as_text=True)
    assert accounts.authenticate("gaotan.rev", otps[1]).role == "reviewer"


def test_a_bad_sheet_names_its_rows(world, auth, client, uploads):
    _admin(auth)
    bad = CSV + "acc,重名,会计,441323110201,\n"
    resp = client.post("/admin/users/import", data={"file": (io.BytesIO(bad.encode()), "users.csv")})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "用户名已存在" in page and "确认添加" not in page


def test_a_users_area_may_be_typed_as_its_name(world, auth, client):
    """The 区域 field takes 甘溪村 as well as 441323110202; an unknown name is said beside it."""
    _admin(auth)
    form = {"username": "ganxi.sec", "display_name": "王书记", "role": "secretary", "area": world.sibling_village.name}
    resp = client.post("/admin/users/new", data=form)
    assert resp.status_code == 200 and _otps(resp.get_data(as_text=True))
    user = db.session.scalars(select(User).where(User.username == "ganxi.sec")).one()
    assert user.area_id == world.sibling_village.id
    bad = client.post("/admin/users/new", data={**form, "username": "x.sec", "area": "没有这个村"})
    assert bad.status_code == 422 and "区域不存在" in bad.get_data(as_text=True)
