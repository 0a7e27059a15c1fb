"""Original vouchers (原始凭证) of an entry: upload, list, the files themselves, removal.

The upload is the API's one multipart POST (field `file`). A cross-site HTML form can send
multipart with the session cookie, so it is accepted only with a Bearer token or with the page's
own CSRF token in the `X-CSRFToken` header — neither of which another site can send
(`common.MULTIPART_ENDPOINTS`). The files are served only here, behind login and the entry's
scope; the public pages never link them.
"""

from flask import Response, jsonify, request, url_for
from flask_babel import gettext as _

from coopapp.api.common import bp, user
from coopapp.api.serializers import jsonable
from coopapp.errors import Invalid, NotFound
from coopapp.ledger import operations as ledger
from coopapp.models import Voucher
from coopapp.vouchers import operations as vouchers
from coopapp.vouchers.storage import storage

ONE = "/vouchers/<int:voucher_id>"
_SUFFIX = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def voucher_json(voucher: Voucher) -> dict:
    """A voucher as the API shows it: what it is, and where its file and thumbnail are."""
    thumb = url_for("api.voucher_thumbnail", voucher_id=voucher.id) if voucher.thumb_sha256 else None
    return jsonable(
        {
            "id": voucher.id,
            "entry_id": voucher.entry_id,
            "sha256": voucher.sha256,
            "content_type": voucher.content_type,
            "size": voucher.size,
            "width": voucher.width,
            "height": voucher.height,
            "file_name": voucher.file_name,
            "url": url_for("api.voucher_file", voucher_id=voucher.id),
            "thumbnail_url": thumb,
            "uploaded_by": voucher.uploaded_by.username if voucher.uploaded_by else None,
            "uploaded_at": voucher.uploaded_at,
        }
    )


@bp.get("/entries/<int:entry_id>/vouchers")
def list_vouchers(entry_id: int):
    """The entry's vouchers, in upload order."""
    entry = ledger.get_entry(entry_id, user())
    return jsonify([voucher_json(v) for v in vouchers.vouchers_of([entry.id])[entry.id]])


@bp.post("/entries/<int:entry_id>/vouchers")
def attach_voucher(entry_id: int):
    """The author attaches a photo (JPEG, PNG, HEIC) or PDF to a draft or returned entry → 201."""
    me = user()
    entry = ledger.get_entry(entry_id, me)
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(_("请选择要上传的凭证文件。"), {"file": _("请选择文件。")})
    voucher = vouchers.attach_voucher(me, entry, upload.read(), upload.filename or "")
    return jsonify(voucher_json(voucher)), 201


@bp.delete(ONE)
def remove_voucher(voucher_id: int):
    """The author removes a voucher of a draft or returned entry → 204 (409 once submitted or approved)."""
    me = user()
    vouchers.remove_voucher(me, vouchers.get_voucher(voucher_id, me))
    return "", 204


def _file(sha: str | None, content_type: str, name: str) -> Response:
    """The stored bytes named `sha`, inline under `name`, never sniffed, cached only privately."""
    data = storage().read(sha) if sha else None
    if data is None:
        raise NotFound(_("凭证文件不存在。"))
    resp = Response(data, mimetype=content_type)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = f'inline; filename="{name}"'  # ASCII only, made here
    resp.headers["Cache-Control"] = "private, max-age=86400"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    resp.set_etag(sha)
    return resp.make_conditional(request)


@bp.get(ONE)
def voucher_file(voucher_id: int):
    """The voucher's file, as stored (upright, without EXIF), with its content type."""
    voucher = vouchers.get_voucher(voucher_id, user())
    suffix = _SUFFIX.get(voucher.content_type, "bin")
    return _file(voucher.sha256, voucher.content_type, f"voucher-{voucher.id}.{suffix}")


@bp.get(f"{ONE}/thumbnail")
def voucher_thumbnail(voucher_id: int):
    """The voucher's thumbnail (a small JPEG; 404 for a PDF, which has none)."""
    voucher = vouchers.get_voucher(voucher_id, user())
    return _file(voucher.thumb_sha256, "image/jpeg", f"voucher-{voucher.id}-thumb.jpg")
