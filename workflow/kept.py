"""Values kept in this process per distinct key (issue 16): a page piece, a built statement, a URL.

Every user of it builds its key from everything the value depends on, so an equal key means an
equal value and nothing is ever invalidated; the store only has to stay bounded, and is emptied
when full (the next requests build again what they need)."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any


class Kept:
    """At most ``limit`` values, each built once by the ``build`` given with its first key."""

    def __init__(self, limit: int):
        self.limit = limit
        self._values: dict = {}

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        value = self._values.get(key)
        if value is None:
            value = build()
            if len(self._values) >= self.limit:
                self._values.clear()
            self._values[key] = value
        return value

    def __len__(self) -> int:
        return len(self._values)
