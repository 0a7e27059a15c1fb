"""Original vouchers (原始凭证): upload through the API and the entry page, files checked by content
and cleaned, fixed once the entry is submitted, required above the county's amount, voucher
numbers at approval. Each test keeps its files in its own directory (`store`)."""

import hashlib
import io
import struct
import zlib

import pillow_heif
import pytest
from PIL import Image
from sqlalchemy import func, select

from coopapp import settings
from coopapp.access import audit
from coopapp.extensions import db as _db
from coopapp.ledger import operations as ledger
from coopapp.models import AuditEvent, CountySettings, LedgerEntry, Voucher
from coopapp.vouchers import operations as vouchers

from .builders import counts, entry_form, entry_input, session_login, tiny_jpeg

GPS_IFD, ORIENTATION = 0x8825, 0x0112


@pytest.fixture()
def store(app, tmp_path, monkeypatch):
    """This test's own voucher directory."""
    monkeypatch.setitem(app.config, "VOUCHER_DIR", str(tmp_path / "vouchers"))
    return tmp_path / "vouchers"


def stored_files(store) -> list:
    return sorted(p.name for p in store.rglob("*") if p.is_file()) if store.exists() else []


def rotated_jpeg_with_gps() -> bytes:
    """A 40×20 photo, left half red and right half blue, stored sideways: EXIF orientation 6 (turn
    90° clockwise to view) and a GPS position."""
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (22.0, 45.0, 30.0), 3: "E", 4: (115.0, 10.0, 5.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


def png_header_bomb(width=100_000, height=100_000) -> bytes:
    """A PNG of a few dozen bytes whose header announces 10 gigapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _noisy_jpeg() -> bytes:
    """A JPEG whose header is whole and whose pixels are many (noise compresses badly)."""
    out = io.BytesIO()
    Image.effect_noise((64, 64), 80).convert("RGB").save(out, format="JPEG")
    return out.getvalue()


def a_pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def draft(world, **kw) -> LedgerEntry:
    return ledger.create_entry(world.users["accountant"], entry_input(world.project, **kw))


def upload(api, entry_id: int, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return api.client.post(
        f"/api/v1/entries/{entry_id}/vouchers",
        data={"file": (io.BytesIO(data), name, content_type)},
        headers=api.headers,
    )


def written(store) -> tuple:
    """What a refused upload must leave as it was: the rows, the audit chain, the files."""
    _db.session.rollback()
    return (
        _db.session.scalar(select(func.count(Voucher.id))),
        _db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.object_type != "api_token")),
        stored_files(store),
    )


def require_vouchers_above(world, fen: int | None) -> None:
    _db.session.add(CountySettings(county_id=world.county.id, data=f'{{"voucher_required_above_fen": {fen}}}'))
    _db.session.commit()
    settings.forget()


# ---- the files: cleaned, upright, without EXIF ------------------------------------------------


def test_a_rotated_photo_comes_out_upright_without_exif_or_gps(api, world, store):
    original = rotated_jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the phone's position is in it
    entry = draft(world, kind="cost", amount_fen=120_00)
    api.as_user("acc")
    resp = upload(api, entry.id, original, "IMG_0001.JPG")
    assert resp.status_code == 201, resp.get_json()
    row = resp.get_json()
    assert (row["content_type"], row["width"], row["height"]) == ("image/jpeg", 20, 40)  # turned upright
    assert row["uploaded_by"] == "acc" and row["file_name"] == "IMG_0001.JPG"

    got = api.get(row["url"])
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"] == f'inline; filename="voucher-{row["id"]}.jpg"'
    assert got.headers["Cache-Control"].startswith("private")
    data = got.get_data()
    assert hashlib.sha256(data).hexdigest() == row["sha256"] == row["sha256"] and len(data) == row["size"]
    photo = Image.open(io.BytesIO(data))
    assert photo.size == (20, 40)
    assert not photo.getexif() and b"Exif" not in data  # no EXIF block at all: the GPS tag is gone
    top, bottom = photo.getpixel((10, 3)), photo.getpixel((10, 36))
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60  # red (the left) now on top

    thumb = api.get(row["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.get_data())).size) <= 320
    assert sorted(stored_files(store)) == sorted([row["sha256"], hashlib.sha256(thumb.get_data()).hexdigest()])


def test_png_heic_and_pdf(api, world, store):
    entry = draft(world)
    api.as_user("acc")
    png = io.BytesIO()
    Image.new("RGBA", (30, 10), (0, 128, 0, 128)).save(png, format="PNG")
    heic = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 10)).save(heic, format="HEIF")  # as an iPhone stores it
    assert pillow_heif.is_supported(heic.getvalue())
    cases = [
        (png.getvalue(), "a.png", "image/png", (30, 10)),
        (heic.getvalue(), "IMG_0002.HEIC", "image/jpeg", (64, 48)),  # shown by every browser: a JPEG
        (a_pdf(), "发票.pdf", "application/pdf", (None, None)),
    ]
    for data, name, content_type, size in cases:
        resp = upload(api, entry.id, data, name, "application/octet-stream")  # the header is not trusted
        assert resp.status_code == 201, resp.get_json()
        row = resp.get_json()
        assert (row["content_type"], (row["width"], row["height"])) == (content_type, size), name
        assert api.get(row["url"]).mimetype == content_type
    pdf = row
    assert api.get(pdf["url"]).get_data() == a_pdf()  # a PDF is kept as it is
    assert pdf["thumbnail_url"] is None
    listed = api.get(f"/api/v1/entries/{entry.id}/vouchers").get_json()
    assert [v["file_name"] for v in listed] == ["a.png", "IMG_0002.HEIC", "发票.pdf"]
    assert set(listed[0]) >= {"id", "sha256", "content_type", "size", "width", "height", "url", "thumbnail_url"}


# ---- bad input: a clear message, nothing written --------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "status", "words"),
    [
        (b"just some text, not a photo" * 10, "fake.jpg", 422, "只能上传照片"),
        (b"MZ\x90\x00" + b"\0" * 200, "invoice.pdf", 422, "只能上传照片"),
        (tiny_jpeg(size=(200, 200))[:300], "cut-header.jpg", 422, "不完整"),
        (_noisy_jpeg()[:1500], "cut.jpg", 422, "不完整"),
        (png_header_bomb(), "bomb.png", 422, "尺寸过大"),
        (b"%PDF-1.4\n" + b"x" * 100, "cut.pdf", 422, "PDF"),
        (b"", "empty.jpg", 422, "空"),
        (b"\xff\xd8\xff" + b"\0" * 3000, "big.jpg", 413, "文件太大"),
    ],
    ids=["text", "exe", "truncated-header", "truncated", "bomb", "pdf-cut", "empty", "too-large"],
)
def test_bad_files_are_refused_and_nothing_is_written(app, api, world, store, monkeypatch, data, name, status, words):
    monkeypatch.setitem(app.config, "VOUCHER_MAX_BYTES", 2000)
    entry = draft(world)
    api.as_user("acc")
    before = written(store)
    resp = upload(api, entry.id, data, name)
    assert resp.status_code == status, resp.get_json()
    assert words in resp.get_json()["error"]["message"]
    assert resp.get_json()["error"]["fields"]["file"]
    assert written(store) == before


def test_a_bomb_is_refused_before_it_is_decoded(app, api, world, store, monkeypatch):
    """A real image within Pillow's own limit but above ours: refused from its header."""
    monkeypatch.setitem(app.config, "VOUCHER_MAX_PIXELS", 1000)
    entry = draft(world)
    api.as_user("acc")
    resp = upload(api, entry.id, tiny_jpeg(size=(50, 50)))
    assert resp.status_code == 422 and "尺寸过大" in resp.get_json()["error"]["message"]


def test_a_failure_after_the_files_are_written_leaves_no_file(api, world, store, monkeypatch):
    """The files are written before the row: a transaction that fails removes them again."""
    monkeypatch.setattr(vouchers, "MAX_PER_ENTRY", 1)
    entry = draft(world)
    api.as_user("acc")
    first = upload(api, entry.id, tiny_jpeg((1, 2, 3)))
    assert first.status_code == 201
    before = written(store)
    resp = upload(api, entry.id, tiny_jpeg((200, 100, 3)))
    assert resp.status_code == 409
    assert written(store) == before


def test_a_form_post_without_a_file_is_refused(api, world, store):
    entry = draft(world)
    api.as_user("acc")
    resp = api.client.post(f"/api/v1/entries/{entry.id}/vouchers", data={"x": "1"}, headers=api.headers)
    assert resp.status_code == 415  # form-encoded: not multipart
    resp = api.client.post(
        f"/api/v1/entries/{entry.id}/vouchers", data={"other": (io.BytesIO(b"x"), "x.jpg")}, headers=api.headers
    )
    assert resp.status_code == 422 and "file" in resp.get_json()["error"]["fields"]


# ---- when: draft or returned only, by its author ---------------------------------------------


def test_vouchers_are_fixed_once_the_entry_is_submitted(api, world, store):
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = draft(world)
    voucher = vouchers.attach_voucher(acc, entry, tiny_jpeg())
    ledger.submit_entry(acc, entry)
    api.as_user("acc")
    for state in ("submitted", "approved"):
        assert _db.session.get(LedgerEntry, entry.id).status == state
        resp = upload(api, entry.id, tiny_jpeg((9, 9, 9)))
        assert resp.status_code == 409 and "凭证不能再改" in resp.get_json()["error"]["message"]
        assert api.client.delete(f"/api/v1/vouchers/{voucher.id}", headers=api.headers).status_code == 409
        if state == "submitted":
            ledger.approve_entry(sec, _db.session.get(LedgerEntry, entry.id))
    assert api.get(f"/api/v1/vouchers/{voucher.id}").status_code == 200  # still shown

    returned = draft(world)
    ledger.submit_entry(acc, returned)
    ledger.return_entry(sec, returned, "成本缺少发票附件")
    assert upload(api, returned.id, tiny_jpeg((1, 1, 1))).status_code == 201  # returned: the author adds it


def test_only_the_author_attaches_and_removes(api, world, store):
    entry = draft(world)
    voucher = vouchers.attach_voucher(world.users["accountant"], entry, tiny_jpeg())
    api.as_user("sec")
    assert upload(api, entry.id, tiny_jpeg()).status_code == 403
    assert api.client.delete(f"/api/v1/vouchers/{voucher.id}", headers=api.headers).status_code == 403
    assert api.get(f"/api/v1/vouchers/{voucher.id}").status_code == 200  # every reviewer sees it
    api.as_user("town")
    assert api.get(f"/api/v1/vouchers/{voucher.id}/thumbnail").status_code == 200
    api.as_user("acc2")  # another village's accountant
    assert api.get(f"/api/v1/vouchers/{voucher.id}").status_code in (403, 404)
    assert api.get(f"/api/v1/entries/{entry.id}/vouchers").status_code in (403, 404)


def test_removing_a_voucher_deletes_its_files_and_is_audited(api, world, store):
    entry = draft(world)
    api.as_user("acc")
    row = upload(api, entry.id, tiny_jpeg()).get_json()
    assert len(stored_files(store)) == 2  # the photo and its thumbnail
    resp = api.client.delete(f"/api/v1/vouchers/{row['id']}", headers=api.headers)
    assert resp.status_code == 204
    assert stored_files(store) == [] and _db.session.get(Voucher, row["id"]) is None
    events = _db.session.execute(
        select(AuditEvent.action, AuditEvent.data).where(AuditEvent.object_type == "voucher").order_by(AuditEvent.seq)
    ).all()
    assert [a for a, _d in events] == ["voucher.attach", "voucher.delete"]
    assert all(row["sha256"] in d for _a, d in events)  # each event holds the file's SHA-256
    assert audit.verify() is None


# ---- required above the county's amount ------------------------------------------------------


def test_spending_above_the_amount_needs_a_voucher_to_be_submitted(api, client, world, store):
    require_vouchers_above(world, 1000_00)
    acc = world.users["accountant"]
    small = draft(world, kind="cost", amount_fen=1000_00)
    ledger.submit_entry(acc, small)  # at the amount: no voucher needed
    sales = draft(world, kind="sales", amount_fen=5000_00)
    ledger.submit_entry(acc, sales)  # income: no voucher needed
    repair = draft(world, kind="cost", amount_fen=12000_00, note="水泵维修")

    session_login(client, acc)
    page = client.get(f"/entries/{repair.id}").get_data(as_text=True)
    assert "须附原始凭证" in page and f"/entries/{repair.id}/submit" not in page  # no button, and why
    resp = client.post(f"/entries/{repair.id}/submit", follow_redirects=True)
    assert "须附原始凭证" in resp.get_data(as_text=True)
    api.as_user("acc")
    resp = api.post(f"/api/v1/entries/{repair.id}/submit")
    assert resp.status_code == 422 and "1,000.00" in resp.get_json()["error"]["message"]
    assert _db.session.get(LedgerEntry, repair.id).status == "draft"

    assert upload(api, repair.id, tiny_jpeg()).status_code == 201
    page = client.get(f"/entries/{repair.id}").get_data(as_text=True)
    assert f"/entries/{repair.id}/submit" in page
    assert api.post(f"/api/v1/entries/{repair.id}/submit").status_code == 200


def test_an_import_batch_is_not_submitted_without_its_vouchers(app, client, world, store, tmp_path):
    from coopapp.errors import Invalid
    from coopapp.imports import batches
    from coopapp.imports.ledger import import_ledger
    from coopapp.models import ImportBatch

    require_vouchers_above(world, 1000_00)
    acc = world.users["accountant"]
    path = tmp_path / "spending.csv"
    day = ledger.today().replace(day=1).isoformat()
    path.write_text(f"日期,类别,金额\n{day},成本,300.00\n{day},成本,2500.00\n", encoding="utf-8")
    report = import_ledger(acc, world.project, path, "spending.csv")
    batch = _db.session.get(ImportBatch, report.batch_id)
    refusal = batches.submit_batch_refusal(acc, batch)
    assert isinstance(refusal, Invalid) and "须附原始凭证" in refusal.message
    assert not batches.offers_submit(acc, batch)
    with pytest.raises(Invalid):
        batches.submit_batch(acc, batch)
    big = _db.session.scalars(select(LedgerEntry).where(LedgerEntry.amount_fen == 2500_00)).one()
    assert big.status == "draft"
    # The batch page says why 全部提交审核 is not there, and which entries need their photo.
    session_login(client, acc)
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert 'id="submit-blocked"' in page and "须附原始凭证" in page
    assert f'/entries/{big.id}#vouchers">#{big.id}（2,500.00 元）' in page
    assert "/submit" not in page
    vouchers.attach_voucher(acc, big, tiny_jpeg())
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert 'id="submit-blocked"' not in page and f"/imports/batches/{batch.id}/submit" in page
    assert batches.submit_batch(acc, batch) == 2


# ---- voucher numbers ------------------------------------------------------------------------


def test_each_approved_entry_gets_the_next_number_of_its_village_and_month(client, world, store):
    acc, sec = world.users["accountant"], world.users["secretary"]
    this, last = ledger.current_period(), ledger.today().replace(day=1)
    from datetime import timedelta

    earlier = (last - timedelta(days=1)).strftime("%Y-%m")
    entries = [draft(world, period=p) for p in (this, earlier, this, this)]
    for e in entries:
        ledger.submit_entry(acc, e)
    for e in (entries[2], entries[1], entries[0]):
        ledger.approve_entry(sec, e)
    assert [e.voucher_no for e in entries] == [2, 1, 1, None]
    session_login(client, sec)
    page = client.get(f"/entries/{entries[0].id}").get_data(as_text=True)
    assert "凭证号" in page
    assert audit.verify() is None


def test_a_batch_approval_numbers_every_entry_in_one_go(world, store, tmp_path):
    from coopapp.imports import batches
    from coopapp.imports.ledger import import_ledger
    from coopapp.models import ImportBatch

    from .builders import statements

    acc, sec = world.users["accountant"], world.users["secretary"]
    day = ledger.today().replace(day=1).isoformat()
    ledger.approve_entry(sec, ledger.submit_entry(acc, draft(world, period=day[:7])))  # number 1 of the month
    path = tmp_path / "b.csv"
    path.write_text("日期,类别,金额\n" + "".join(f"{day},销售收入,{i}.00\n" for i in range(1, 21)), encoding="utf-8")
    batch = _db.session.get(ImportBatch, import_ledger(acc, world.project, path, "b.csv").batch_id)
    batches.submit_batch(acc, batch)
    with statements() as seen:
        assert batches.approve_batch(sec, batch) == 20
    numbers = _db.session.scalars(
        select(LedgerEntry.voucher_no).where(LedgerEntry.import_batch_id == batch.id).order_by(LedgerEntry.id)
    ).all()
    assert numbers == list(range(2, 22))
    assert sum("max(ledger_entries.voucher_no)" in s.lower() for s in seen) == 1


# ---- audit verify --files -----------------------------------------------------------------


def test_audit_verify_files_finds_a_changed_or_missing_file(app, world, store):
    acc = world.users["accountant"]
    voucher = vouchers.attach_voucher(acc, draft(world), tiny_jpeg(), "a.jpg")
    pdf = vouchers.attach_voucher(acc, draft(world), a_pdf(), "b.pdf")
    cli = app.test_cli_runner()
    result = cli.invoke(args=["coop", "audit", "verify", "--files"])
    assert result.exit_code == 0, result.output
    assert "voucher files ok" in result.output

    (store / pdf.sha256[:2] / pdf.sha256).write_bytes(a_pdf().replace(b"Catalog", b"Catalox"))  # changed
    (store / voucher.thumb_sha256[:2] / voucher.thumb_sha256).unlink()  # lost
    result = cli.invoke(args=["coop", "audit", "verify", "--files"])
    assert result.exit_code == 1
    assert f"voucher {pdf.id}: file {pdf.sha256} was changed" in result.output
    assert f"voucher {voucher.id}: thumbnail {voucher.thumb_sha256} is missing" in result.output
    assert cli.invoke(args=["coop", "audit", "verify"]).exit_code == 0  # the rows alone are intact


# ---- the pages ---------------------------------------------------------------------------


def test_the_entry_page_uploads_and_deletes_without_javascript(client, world, store):
    acc = world.users["accountant"]
    entry = draft(world, kind="cost", amount_fen=300_00)
    session_login(client, acc)
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'capture="environment"' in page
    assert 'accept="image/*,application/pdf"' in page

    resp = client.post(f"/entries/{entry.id}/vouchers", data={"file": (io.BytesIO(b"not a photo"), "x.jpg")})
    assert resp.status_code == 422 and "只能上传照片" in resp.get_data(as_text=True)
    assert stored_files(store) == []

    resp = client.post(
        f"/entries/{entry.id}/vouchers", data={"file": (io.BytesIO(rotated_jpeg_with_gps()), "发票.jpg")}
    )
    assert resp.status_code == 302
    voucher = _db.session.scalars(select(Voucher)).one()
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert f"/api/v1/vouchers/{voucher.id}/thumbnail" in page and "发票.jpg" in page
    assert client.get(f"/api/v1/vouchers/{voucher.id}/thumbnail").status_code == 200  # the page's own session

    resp = client.post(f"/vouchers/{voucher.id}/delete")  # asks first (test_confirmations.py)
    assert resp.status_code == 200 and _db.session.scalar(select(func.count(Voucher.id))) == 1
    resp = client.post(f"/vouchers/{voucher.id}/delete", data={"confirmed": "1"})
    assert resp.status_code == 302 and _db.session.scalar(select(func.count(Voucher.id))) == 0


def test_a_submitted_entrys_voucher_is_not_removed_from_the_page(client, world, store):
    """The page's 删除 of a voucher whose entry was submitted meanwhile: the refusal, and the photo kept
    (no confirmation asked: it could not be done)."""
    acc = world.users["accountant"]
    entry = draft(world, kind="cost", amount_fen=300_00)
    voucher = vouchers.attach_voucher(acc, entry, tiny_jpeg(), "发票.jpg")
    ledger.submit_entry(acc, entry)
    _db.session.commit()
    session_login(client, acc)
    resp = client.post(f"/vouchers/{voucher.id}/delete", data={"confirmed": "1"}, follow_redirects=True)
    assert resp.status_code == 200 and "只有草稿或被退回的记录可以添加或删除凭证" in resp.get_data(as_text=True)
    assert _db.session.scalar(select(func.count(Voucher.id))) == 1 and len(stored_files(store)) == 2


def test_the_review_queue_shows_the_thumbnails_and_the_public_page_never(client, world, store):
    acc, sec = world.users["accountant"], world.users["secretary"]
    entry = draft(world, kind="cost", amount_fen=300_00)
    voucher = vouchers.attach_voucher(acc, entry, tiny_jpeg())
    ledger.submit_entry(acc, entry)
    session_login(client, sec)
    queue = client.get("/review").get_data(as_text=True)
    assert f"/api/v1/vouchers/{voucher.id}/thumbnail" in queue
    ledger.approve_entry(sec, _db.session.get(LedgerEntry, entry.id))
    client.post("/logout")
    anon = client.application.test_client()
    for path in ("/p/", f"/p/{world.village.code}", f"/s/{world.households[0].public_token}"):
        resp = anon.get(path, follow_redirects=True)
        assert resp.status_code == 200 and "/vouchers/" not in resp.get_data(as_text=True), path
    assert anon.get(f"/api/v1/vouchers/{voucher.id}").status_code == 401


def test_gc_removes_only_old_files_no_row_uses(app, world, store):
    import os
    import time

    from coopapp.vouchers.storage import storage

    voucher = vouchers.attach_voucher(world.users["accountant"], draft(world), tiny_jpeg(), "a.jpg")
    orphan, young = (bytes([i]) * 100 for i in (1, 2))
    names = [hashlib.sha256(b).hexdigest() for b in (orphan, young)]
    for data, name in zip((orphan, young), names, strict=True):
        storage().put(name, data)
    old = time.time() - 2 * 24 * 3600
    for path in store.rglob("*"):
        if path.is_file() and path.name != names[1]:
            os.utime(path, (old, old))  # everything old but the upload "in flight"
    result = app.test_cli_runner().invoke(args=["coop", "vouchers", "gc"])
    assert result.exit_code == 0 and "1 unused files removed" in result.output
    assert sorted(stored_files(store)) == sorted([voucher.sha256, voucher.thumb_sha256, names[1]])


# ---- the new-entry form's receipt photo (issue 18 item 10) -------------------------------------


def test_the_new_entry_form_saves_its_photo_with_the_entry(client, auth, world, store):
    auth.login("acc")
    form = entry_form(world, kind="operating_expense", amount="12,000", category="维修费", payment_method="bank")
    resp = client.post(
        "/entries/new", data={**form, "payee": "张师傅", "photo": (io.BytesIO(tiny_jpeg()), "receipt.jpg")}
    )
    assert resp.status_code == 302
    entry = _db.session.scalars(select(LedgerEntry)).one()
    assert (entry.category, entry.payment_method, entry.payee) == ("维修费", "bank", "张师傅")
    assert [v.file_name for v in vouchers.vouchers_of([entry.id])[entry.id]] == ["receipt.jpg"]
    assert "receipt.jpg" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_a_refused_photo_leaves_nothing_and_is_said_beside_it(client, auth, world, store):
    auth.login("acc")
    before = counts()
    resp = client.post(
        "/entries/new", data={**entry_form(world), "photo": (io.BytesIO(b"not an image"), "receipt.jpg")}
    )
    assert resp.status_code == 422 and "按内容看都不是" in resp.get_data(as_text=True)
    assert 'id="photo-error"' in resp.get_data(as_text=True)
    assert counts() == before and stored_files(store) == []
    empty = client.post("/entries/new", data={**entry_form(world), "photo": (io.BytesIO(b""), "")})
    assert empty.status_code == 302  # no photo taken: the entry alone


def test_the_same_file_twice_on_one_entry_is_refused_once_kept(api, client, world, store):
    """A double tap or an upload retried after a slow answer: one voucher, and a message saying it is there."""
    entry, other = draft(world), draft(world, note="另一笔")
    api.as_user("acc")
    first = upload(api, entry.id, tiny_jpeg()).get_json()
    again = upload(api, entry.id, tiny_jpeg(), name="IMG_0001 (1).jpg")
    assert again.status_code == 409
    assert f"凭证 #{first['id']}" in again.get_json()["error"]["message"]
    assert upload(api, other.id, tiny_jpeg()).status_code == 201  # another entry may use the same receipt
    session_login(client, world.users["accountant"])
    page = client.post(f"/entries/{entry.id}/vouchers", data={"file": (io.BytesIO(tiny_jpeg()), "a.jpg")})
    assert page.status_code == 409 and "已经上传过" in page.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).where(Voucher.entry_id == entry.id)) == 1
