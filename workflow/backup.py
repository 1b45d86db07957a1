"""A consistent copy of the whole database, and back.

SQLite: the online backup API (a consistent snapshot even while the application
writes). PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean``.
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from workflow.extensions import db


class BackupError(RuntimeError):
    pass


def _pg_tool(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    found = candidates[-1] if candidates else shutil.which(name)
    if not found:
        raise BackupError(f"Không tìm thấy {name} (cài gói postgresql-client).")
    return found


def _pg_args(url) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    # A Unix socket is written libpq's way, as a query: postgresql:///workflow?host=/run/postgresql
    query_host = url.query.get("host")
    if isinstance(query_host, tuple):
        query_host = query_host[0] if query_host else None
    args = ["-h", url.host or query_host or "127.0.0.1", "-p", str(url.port or 5432), "-d", url.database]
    if url.username:
        args += ["-U", url.username]
    return args, env


def _sqlite_path(url) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được.")
    return url.database


def _sqlite_copy(source_path, target_path) -> None:
    """A consistent page-by-page copy with SQLite's online backup API."""
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        source.close()
        target.close()


def backup(path: str | Path) -> Path:
    """Write a consistent copy of the database to ``path`` (atomically: a temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    url = make_url(str(db.engine.url))
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".backup-")
    os.close(handle)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(_sqlite_path(url), temp)
        elif url.get_backend_name() == "postgresql":
            args, env = _pg_args(url)
            result = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "-f", temp, *args],
                                    env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise BackupError(f"pg_dump thất bại: {result.stderr.strip()}")
        else:
            raise BackupError(f"Không hỗ trợ sao lưu {url.get_backend_name()}.")
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return path


def restore(path: str | Path) -> None:
    """Replace the whole database with the copy at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Không tìm thấy tệp sao lưu {path}.")
    url = make_url(str(db.engine.url))
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        with open(path, "rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{path} không phải bản sao lưu SQLite.")
        _sqlite_copy(path, _sqlite_path(url))
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        result = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                                 "--single-transaction", *args, str(path)], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore thất bại: {result.stderr.strip()}")
    else:
        raise BackupError(f"Không hỗ trợ phục hồi {url.get_backend_name()}.")
    db.engine.dispose()
