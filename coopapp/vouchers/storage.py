"""Where voucher files live: outside the database, each named by the SHA-256 of its bytes.

`VoucherStorage` is the interface the rest of the app uses; `DirectoryStorage`, the one
implementation, keeps the files in a directory (VOUCHER_DIR, by default instance/vouchers), as
`ab/abcdef…` (the first two hex digits fan the files out). Several app servers can share the
directory (NFS or the like): a file is written to a temporary name beside its final one and then
renamed, so no server ever reads half a file, and two servers writing the same bytes write the
same name. Files are never changed in place: a name is its content.
"""

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from flask import current_app

SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class VoucherStorage(Protocol):
    """What the app asks of a voucher store (a directory today; an object store could follow)."""

    def put(self, sha256: str, data: bytes) -> bool:
        """Store `data` under its SHA-256; True when this call created the file."""

    def read(self, sha256: str) -> bytes | None:
        """The bytes stored under `sha256`, or None when there are none."""

    def delete(self, sha256: str) -> None:
        """Forget the file (nothing when there is none)."""

    def digest(self, sha256: str) -> str | None:
        """The SHA-256 of the stored bytes as they are now (read in chunks), None when missing."""

    def names(self) -> Iterator[str]:
        """Every stored name (for backups)."""

    def age_seconds(self, sha256: str) -> float | None:
        """How long ago the file was written, None when missing."""


class DirectoryStorage:
    """Voucher files in a directory, `root/ab/abcdef…`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, sha256: str, data: bytes) -> bool:
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("the bytes do not match their name")
        target = self.path(sha256)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return True

    def read(self, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def digest(self, sha256: str) -> str | None:
        hasher = hashlib.sha256()
        try:
            with self.path(sha256).open("rb") as f:
                while chunk := f.read(CHUNK):
                    hasher.update(chunk)
        except FileNotFoundError:
            return None
        return hasher.hexdigest()

    def names(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and len(folder.name) == 2:
                for file in sorted(folder.iterdir()):
                    if SHA256.match(file.name):
                        yield file.name

    def age_seconds(self, sha256: str) -> float | None:
        try:
            return time.time() - self.path(sha256).stat().st_mtime
        except FileNotFoundError:
            return None


def voucher_dir() -> Path:
    """The directory of the app's voucher files: VOUCHER_DIR, else instance/vouchers."""
    return Path(current_app.config.get("VOUCHER_DIR") or Path(current_app.instance_path) / "vouchers")


def storage() -> VoucherStorage:
    """The app's voucher store."""
    return DirectoryStorage(voucher_dir())
