"""`coop import users`: XLSX or CSV (UTF-8 or GBK), columns in Chinese or English, every bad row
named, all or nothing, one-time passwords in the report or a CSV, none on a dry run."""

import csv
import json

from openpyxl import Workbook
from sqlalchemy import func, select

from coopapp.access import accounts, audit
from coopapp.extensions import db
from coopapp.imports.users import import_users
from coopapp.models import AuditEvent, User

CHINESE = ("用户名", "姓名", "角色", "区域代码", "手机")
ROWS = [
    ("ganxi.acc", "李会计", "村会计", "441323110202", "138 0000 0001"),
    ("ganxi.sec", "王书记", "支部书记", "441323110202", "0752-8888888"),
    ("gaotan.rev", "赵审核", "审核员", "441323110", ""),
]


def write_csv(path, rows, header=CHINESE, encoding="utf-8"):
    path.write_bytes("\n".join(",".join(r) for r in (header, *rows)).encode(encoding))
    return path


def write_xlsx(path, rows, header=CHINESE):
    book = Workbook()
    sheet = book.active
    sheet.append(["高潭镇用户名单"])
    sheet.append(list(header))
    for row in rows:
        sheet.append([13800000009 if cell == "13800000009" else cell for cell in row])
    book.save(path)
    return path


def _cli(app, path, *extra):
    result = app.test_cli_runner().invoke(args=["coop", "import", "users", str(path), "--json", *extra])
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_a_csv_creates_the_users_with_one_time_passwords(app, world, tmp_path):
    code, report = _cli(app, write_csv(tmp_path / "users.csv", ROWS))
    assert code == 0, report
    assert report["imported"] and report["created"] == 3 and report["rows_ok"] == 3
    assert [u["username"] for u in report["users"]] == ["ganxi.acc", "ganxi.sec", "gaotan.rev"]
    otp = report["users"][0]["one_time_password"]
    user = accounts.authenticate("ganxi.acc", otp)
    assert (user.role, user.display_name, user.phone, user.must_change_password) == (
        "accountant",
        "李会计",
        "138 0000 0001",
        True,
    )
    assert db.session.scalar(select(User.role).where(User.username == "ganxi.sec")) == "secretary"
    assert audit.verify() is None


def test_gbk_english_headers_and_xlsx(app, world, tmp_path):
    english = ("Username", "Display Name", "Role", "Area Code", "Phone")
    code, report = _cli(app, write_csv(tmp_path / "u.csv", ROWS[:1], english, "gbk"))
    assert code == 0 and report["created"] == 1, report
    rows = [("ganxi.b", "钱会计", "accountant", "441323110202", "13800000009")]
    code, report = _cli(app, write_xlsx(tmp_path / "u.xlsx", rows, ("username", "name", "role", "area", "phone")))
    assert code == 0 and report["created"] == 1, report
    assert db.session.scalar(select(User.phone).where(User.username == "ganxi.b")) == "13800000009"


def test_every_bad_row_is_named_and_nothing_is_written(app, world, tmp_path):
    rows = [
        *ROWS,
        ("acc", "重名", "会计", "441323110201", ""),
        ("n1", "   ", "会计", "441323110201", ""),
        ("n2", "某人", "组长", "441323110201", ""),
        ("n3", "某人", "书记", "441323110", ""),
        ("ganxi.acc", "又一个", "会计", "441323110202", ""),
    ]
    before = (_users(), db.session.scalar(select(func.count()).select_from(AuditEvent)))
    code, report = _cli(app, write_csv(tmp_path / "bad.csv", rows))
    assert code == 1 and not report["imported"] and report["users"] == []
    named = {(e["row"], e["column"]) for e in report["errors"]}
    assert named == {(5, "用户名"), (6, "姓名"), (7, "角色"), (8, "区域代码"), (9, "用户名")}
    assert (_users(), db.session.scalar(select(func.count()).select_from(AuditEvent))) == before


def test_a_dry_run_generates_nothing_and_passwords_out_writes_a_csv(app, world, tmp_path):
    path = write_csv(tmp_path / "users.csv", ROWS)
    code, report = _cli(app, path, "--dry-run")
    assert code == 0 and report["dry_run"] and report["users"] == [] and report["rows_ok"] == 3
    assert _users() == 7
    out = tmp_path / "passwords.csv"
    code, report = _cli(app, path, "--passwords-out", str(out))
    assert code == 0 and report["users"] == [] and report["created"] == 3
    lines = list(csv.reader(out.open(encoding="utf-8")))
    assert lines[0] == ["username", "password"] and [r[0] for r in lines[1:]] == [
        "ganxi.acc",
        "ganxi.sec",
        "gaotan.rev",
    ]
    assert accounts.authenticate("gaotan.rev", lines[3][1]).role == "reviewer"


def test_a_town_admin_imports_inside_the_town_only(world, tmp_path):
    from .builders import add_user

    town_admin = add_user("gaotan.admin", "admin", world.town_a)
    db.session.commit()
    rows = [*ROWS, ("duozhu.acc", "孙会计", "会计", "441323107203", "")]
    report = import_users(town_admin, write_csv(tmp_path / "u.csv", rows), "u.csv")
    assert not report.ok and [(e.row, e.column) for e in report.errors] == [(5, "区域代码")]
    report = import_users(town_admin, write_csv(tmp_path / "u.csv", ROWS), "u.csv")
    assert report.imported and report.created == 3


def test_a_passwords_file_that_cannot_be_written_is_refused_before_any_user_is_made(app, world, tmp_path):
    """Otherwise the users would exist with one-time passwords nobody can read (each needing a reset)."""
    path = write_csv(tmp_path / "users.csv", ROWS)
    result = app.test_cli_runner().invoke(
        args=["coop", "import", "users", str(path), "--passwords-out", str(tmp_path / "missing" / "p.csv")]
    )
    assert result.exit_code != 0 and "no user was created" in result.output
    assert _users() == 7


def test_a_refused_file_leaves_no_passwords_file(app, world, tmp_path):
    path = write_csv(tmp_path / "users.csv", [*ROWS, ("bad name", "某人", "村长", "441323110201", "")])
    out = tmp_path / "passwords.csv"
    code, _report = _cli(app, path, "--passwords-out", str(out))
    assert code != 0 and not out.exists() and _users() == 7


def test_the_preview_of_a_file_with_errors_promises_no_user(app, world, client, auth, tmp_path, monkeypatch):
    """Its good rows are not 'to be added' while any row is bad: the page says nothing will be."""
    import io

    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    path = write_csv(tmp_path / "bad.csv", [*ROWS, ("acc", "重名", "会计", "441323110201", "")])
    auth.login("admin")
    page = client.post("/admin/users/import", data={"file": (io.BytesIO(path.read_bytes()), "bad.csv")}).text
    assert "不会添加任何用户" in page and "将添加" not in page and "确认添加" not in page


def test_an_area_may_be_written_as_its_name(app, world, tmp_path):
    rows = [("ganxi.acc", "李会计", "村会计", "甘溪村", ""), ("gaotan.rev", "赵审核", "审核员", "高潭镇", "")]
    code, report = _cli(app, write_csv(tmp_path / "users.csv", rows))
    assert code == 0, report
    areas = dict(db.session.execute(select(User.username, User.area_id)).all())
    assert areas["ganxi.acc"] == world.sibling_village.id and areas["gaotan.rev"] == world.town_a.id
