"""Where generated files live: one small storage interface (DESIGN section 8).

Several application processes, on one or more machines, share one database,
so a generated file must not live only on one machine's disk. The default
backend keeps the bytes in the database (``models.StoredFile``) inside the
caller's transaction: the file and the row that points to it are committed
together, or neither is. A directory backend (a shared mount) can be chosen
with ``STORAGE_BACKEND=directory`` and ``STORAGE_DIRECTORY=/path``; an
S3-compatible store would be one more class with the same three methods.

Stored files are never modified: ``put`` with an existing key is refused.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from models import StoredFile
from workflow.extensions import db


class StorageError(RuntimeError):
    pass


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str
    size: int
    content_type: str


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_key(prefix: str, suffix: str) -> str:
    """A fresh, unguessable key such as ``documents/3f2a….pdf``."""
    return f"{prefix.strip('/')}/{uuid.uuid4().hex}{suffix}"


class DatabaseStorage:
    """Files as rows of ``stored_files``; written in the caller's transaction."""

    name = "database"

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        if db.session.scalar(select(StoredFile.id).where(StoredFile.key == key)) is not None:
            raise StorageError(f"stored file {key!r} exists and is never overwritten")
        digest = sha256_hex(data)
        db.session.add(StoredFile(key=key, content_type=content_type, size=len(data), sha256=digest,
                                  content=data))
        return StoredObject(key, digest, len(data), content_type)

    def get(self, key: str) -> bytes:
        content = db.session.scalar(select(StoredFile.content).where(StoredFile.key == key))
        if content is None:
            raise FileNotFoundError(key)
        return bytes(content)

    def exists(self, key: str) -> bool:
        return db.session.scalar(select(StoredFile.id).where(StoredFile.key == key)) is not None


def write_atomically(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename: a reader (or a crash)
    sees the old file or the whole new one, never half of it."""
    path = Path(path)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class DirectoryStorage:
    """Files under a directory shared by every process (e.g. an NFS mount).

    Written at once (atomically, by rename), so a rolled-back transaction may
    leave an orphan file behind; it is never overwritten nor served.
    """

    name = "directory"

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StorageError(f"invalid storage key {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        path = self._path(key)
        if path.exists():
            raise StorageError(f"stored file {key!r} exists and is never overwritten")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)
        return StoredObject(key, sha256_hex(data), len(data), content_type)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path.read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def get_storage():
    """The configured backend (``STORAGE_BACKEND``: ``database`` by default, or ``directory``)."""
    from flask import current_app

    backend = (current_app.config.get("STORAGE_BACKEND") or os.environ.get("STORAGE_BACKEND") or "database")
    if backend == "database":
        return DatabaseStorage()
    if backend == "directory":
        root = current_app.config.get("STORAGE_DIRECTORY") or os.environ.get("STORAGE_DIRECTORY")
        if not root:
            raise StorageError("STORAGE_BACKEND=directory needs STORAGE_DIRECTORY")
        return DirectoryStorage(root)
    raise StorageError(f"unknown STORAGE_BACKEND {backend!r} (database, directory)")
