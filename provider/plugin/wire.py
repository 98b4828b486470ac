"""`Wire`: a protocol DynamicValue's bytes, as passed between the adapters and the core."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Wire"]


@dataclass(frozen=True, slots=True)
class Wire:
    """A protocol `DynamicValue`: msgpack bytes, or JSON bytes, or neither (null)."""

    msgpack: bytes = b""
    json: bytes = b""
