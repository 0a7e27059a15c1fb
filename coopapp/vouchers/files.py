"""A voucher file checked by its content and cleaned before it is stored.

What the file is comes from its bytes, never from its name or the browser's Content-Type:
a PDF starts with `%PDF-`; a JPEG, PNG or HEIC image is recognised by its signature and then
opened by Pillow (HEIC through pillow-heif). An image is refused before it is decoded when its
header announces more pixels than VOUCHER_MAX_PIXELS (a decompression bomb: a few KB that would
decode to gigabytes); then it is decoded (a truncated file is refused here), turned upright from
its EXIF orientation (`ImageOps.exif_transpose`: phones store the sensor's way up) and encoded
again without any metadata — the EXIF block, GPS position included, is gone. A HEIC photo is
stored as a JPEG (browsers cannot show HEIC). Each image also gets a thumbnail (THUMB_SIZE px
JPEG) for the review queue. A PDF is stored as it is, after a sanity check.
"""

import hashlib
import io
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps

from coopapp.errors import Invalid, TooLarge

try:  # HEIC, as iPhones take photos (pillow-heif; its decode-only build is enough)
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC = True
except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
    HEIC = False

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; phones take 12 to 48
THUMB_SIZE = 320
JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


@dataclass(frozen=True)
class Prepared:
    """A voucher ready to store: its cleaned bytes and what they are, and its thumbnail (images)."""

    data: bytes
    content_type: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def thumb_sha256(self) -> str | None:
        return None if self.thumbnail is None else hashlib.sha256(self.thumbnail).hexdigest()

    def blobs(self) -> list[tuple[str, bytes]]:
        """(SHA-256, bytes) of each file to store: the voucher and its thumbnail."""
        out = [(self.sha256, self.data)]
        if self.thumbnail is not None:
            out.append((self.thumb_sha256, self.thumbnail))
        return out


def _refused(message: str) -> Invalid:
    return Invalid(message, {"file": message})


def sniff(data: bytes) -> str | None:
    """What the bytes are by their signature: "pdf", "jpeg", "png", "heic", or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "heic"
    return None


def prepare(data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> Prepared:
    """Check an uploaded file and clean it (see the module's docstring); `Invalid` (422) or
    `TooLarge` (413) with a message for the user otherwise. Pure: writes nothing."""
    if len(data) > max_bytes:
        message = _("文件太大：最大 %(n)s MB。请拍得小一些，或把 PDF 分成几份。", n=max_bytes // (1024 * 1024))
        raise TooLarge(message, {"file": message})
    if not data:
        raise _refused(_("文件是空的。"))
    kind = sniff(data)
    if kind == "pdf":
        return _pdf(data)
    if kind is None:
        raise _refused(_("只能上传照片（JPG、PNG、HEIC）或 PDF：这个文件按内容看都不是。"))
    if kind == "heic" and not HEIC:  # pragma: no cover
        raise _refused(_("服务器暂不能读取 HEIC 照片，请在手机上改用 JPG 格式拍照后再上传。"))
    return _image(data, kind, max_pixels)


def _pdf(data: bytes) -> Prepared:
    if b"%%EOF" not in data[-2048:]:
        raise _refused(_("PDF 文件不完整（可能没有传完），请重新上传。"))
    return Prepared(data, PDF)


def _image(data: bytes, kind: str, max_pixels: int) -> Prepared:
    formats = {"jpeg": ["JPEG"], "png": ["PNG"], "heic": ["HEIF"]}[kind]
    bomb = _("图片尺寸过大（超过 %(n)s 万像素），不能接收。", n=max_pixels // 10_000)
    broken = _("图片不完整或已损坏（可能没有传完），请重新上传。")
    try:
        image = Image.open(io.BytesIO(data), formats=formats)  # reads the header only
    except Image.DecompressionBombError:
        raise _refused(bomb) from None
    except (OSError, SyntaxError, ValueError):
        raise _refused(broken) from None
    width, height = image.size
    if width * height > max_pixels or width <= 0 or height <= 0:
        raise _refused(bomb)  # before a single pixel is decoded
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError:
        raise _refused(bomb) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _refused(broken) from None
    as_png = kind == "png"
    clean = _without_metadata(upright, keep_alpha=as_png)
    out = io.BytesIO()
    if as_png:
        clean.save(out, format="PNG", optimize=False)
    else:
        clean.save(out, format="JPEG", quality=90)
    return Prepared(out.getvalue(), PNG if as_png else JPEG, clean.width, clean.height, _thumbnail(clean))


def _without_metadata(image: Image.Image, keep_alpha: bool) -> Image.Image:
    """The pixels alone: no EXIF, GPS, XMP or comments come along (Pillow writes only what `info` holds)."""
    modes = ("1", "L", "LA", "RGB", "RGBA") if keep_alpha else ("L", "RGB")
    clean = image if image.mode in modes else image.convert("RGBA" if keep_alpha else "RGB")
    clean = clean.copy()
    clean.info = {}
    return clean


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.convert("RGB")
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE))
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=80)
    return out.getvalue()
