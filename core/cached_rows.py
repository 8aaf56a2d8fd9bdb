"""Rows that many requests read by a key and staff rarely change (a branch, a county's Kanoon), kept in
Django's cache and forgotten when they change; the owner of the model connects the forgetting to its
signals."""

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from django.core.cache import cache

K = TypeVar("K")
R = TypeVar("R")


class CachedRow(Generic[K, R]):
    def __init__(self, prefix: str, read: Callable[[K], R | None], seconds: int):
        self.prefix, self.read, self.seconds = prefix, read, seconds

    def key(self, key: K) -> str:
        return f"{self.prefix}:{key}"

    def get(self, key: K) -> R | None:
        """The row, from the cache or read and kept; a missing row is not kept, so it is found as soon as
        it is entered."""
        row = cache.get(self.key(key))
        if row is None:
            row = self.read(key)
            if row is not None:
                cache.set(self.key(key), row, self.seconds)
        return row

    def forget(self, keys: Iterable[K | None]) -> None:
        cache.delete_many([self.key(key) for key in set(keys) if key is not None])
