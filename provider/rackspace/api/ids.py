"""Ids as the API spells them: the one place where the letter case of an id is decided.

Every id the Rackspace APIs hand out is a UUID in lower case, and UUIDs are case-insensitive
(RFC 9562 §4), while users may write them in any case (the schema's `UUID` type keeps their
spelling in state). So every id this package sends is spelled by `api_id`, and every comparison
of an id with one the API returned goes through `api_id` or `api_key`: nothing else in the
provider looks at letter case.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

__all__ = ["api_id", "api_ids", "api_key"]


def api_id(value: str) -> str:
    """`value` as the API spells ids (lower case); `str()` of anything else first."""
    return str(value).lower()


def api_ids(values: Iterable[str]) -> list[str]:
    """Several ids as the API spells them, sorted and without duplicates."""
    return sorted({api_id(v) for v in values})


def api_key(key: Any) -> Hashable:
    """A lookup or coordination key whose strings (inside tuples and frozensets too) are
    spelled as the API spells ids, so that two spellings of one id meet at one key."""
    if isinstance(key, str):
        return api_id(key)
    if isinstance(key, tuple):
        return tuple(api_key(k) for k in key)
    if isinstance(key, frozenset | set):
        return frozenset(api_key(k) for k in key)
    return key  # type: ignore[no-any-return]
