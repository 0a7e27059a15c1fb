"""Backups of the database: SQLite's online backup API, or pg_dump / pg_restore for PostgreSQL;
and of the voucher files (原始凭证), which live outside the database.

The voucher files go beside the database's backup, in the directory `PATH.vouchers/`, laid out as
the store is (`ab/abcdef…`, each named by its SHA-256). The database is backed up first, then the
files: a file is written before its row, so every voucher the database backup holds has its file
in the store by then. A second backup to the same PATH copies only the files not there yet.
A backup made before vouchers existed has no such directory: it restores as before, and the
voucher directory is left as it is.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

PG_DUMP_DOC = "PGPASSWORD=… pg_dump --format=custom --host HOST --port PORT --username USER --file PATH DBNAME"
PG_RESTORE_DOC = "PGPASSWORD=… pg_restore --clean --if-exists --no-owner --host HOST --port PORT --username USER --dbname DBNAME PATH"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


def sqlite_file(url: URL) -> Path:
    """The database file of an SQLite URL (an in-memory database cannot be backed up)."""
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has no file to back up")
    return Path(url.database)


def _pg_args(url: URL) -> tuple[list[str], dict]:
    """libpq connection options of a PostgreSQL URL; the password goes in the environment, not argv."""
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _tool(name: str, doc: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found; install the PostgreSQL client (postgresql-client) and run: {doc}")
    return path


def _sqlite_copy(src: sqlite3.Connection, dst: sqlite3.Connection) -> None:
    """Copy the database `src` onto `dst` with SQLite's online backup, then close both."""
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def backup(url: str | URL, path: str | Path) -> None:
    """Write a consistent copy of the database at `url` to `path` while the app keeps running."""
    url, path = make_url(url), Path(path)
    if url.get_backend_name() == "sqlite":
        source = sqlite_file(url)
        if not source.exists():
            raise BackupError(f"database file not found: {source}")
        _sqlite_copy(sqlite3.connect(source), sqlite3.connect(path))
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        cmd = [_tool("pg_dump", PG_DUMP_DOC), "--format=custom", *args, "--file", str(path), url.database]
        _run(cmd, env)
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")


def files_dir(path: str | Path) -> Path:
    """Where the backup at `path` keeps its voucher files."""
    return Path(f"{path}.vouchers")


def _copy_files(source: Path, target: Path) -> int:
    """Copy the content-addressed files of `source` (`ab/abcdef…`) that `target` lacks or holds
    changed; how many were copied."""
    copied = 0
    if not source.is_dir():
        return 0
    for folder in sorted(p for p in source.iterdir() if p.is_dir() and len(p.name) == 2):
        for file in sorted(folder.iterdir()):
            if len(file.name) != 64 or not file.is_file():
                continue
            dest = target / folder.name / file.name
            if dest.exists() and dest.stat().st_size == file.stat().st_size and _sha256(dest) == file.name:
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            temp = dest.with_name(f".part-{file.name}")
            shutil.copyfile(file, temp)
            os.replace(temp, dest)
            copied += 1
    return copied


def _sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            hasher.update(chunk)
    return hasher.hexdigest()


def backup_files(voucher_dir: str | Path, path: str | Path) -> int:
    """Copy the voucher files into the backup at `path` (`files_dir`); how many were new."""
    target = files_dir(path)
    target.mkdir(parents=True, exist_ok=True)
    return _copy_files(Path(voucher_dir), target)


def restore_files(path: str | Path, voucher_dir: str | Path) -> int | None:
    """Put the backup's voucher files back into `voucher_dir` (those missing or changed there); how
    many were copied, or None for a backup that holds no voucher files (made before vouchers)."""
    source = files_dir(path)
    if not source.is_dir():
        return None
    return _copy_files(source, Path(voucher_dir))


def check_sqlite_backup(path: Path) -> None:
    """Refuse a file that is not an SQLite database of this app (no alembic_version table)."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            con.execute("PRAGMA schema_version").fetchone()
            found = con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            version = con.execute("SELECT version_num FROM alembic_version").fetchone() if found else None
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database: {exc}") from exc
    if version is None:
        raise BackupError(f"{path} is not a backup of this app (no alembic_version)")


def restore(url: str | URL, path: str | Path) -> None:
    """Replace the database at `url` with the backup at `path`. The app's connections must be closed."""
    url, path = make_url(url), Path(path)
    if not path.is_file():
        raise BackupError(f"backup not found: {path}")
    if url.get_backend_name() == "sqlite":
        check_sqlite_backup(path)
        target = sqlite_file(url)
        _sqlite_copy(sqlite3.connect(f"file:{path}?mode=ro", uri=True), sqlite3.connect(target))
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        tool = _tool("pg_restore", PG_RESTORE_DOC)
        _run(
            [
                tool,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                *args,
                "--dbname",
                url.database,
                str(path),
            ],
            env,
        )
    else:
        raise BackupError(f"no restore method for {url.get_backend_name()}")


def _run(cmd: list[str], env: dict) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed ({done.returncode}): {done.stderr.strip()}")
