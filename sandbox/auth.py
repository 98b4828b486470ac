"""Tokens and role-based access (research §2 and §3).

Roles: ``admin`` may do everything, ``creator`` everything but delete, ``observer`` only read.
Cloud Networks enforces them on ``ip_addresses``; the sandbox applies the same table to the
Cloud Servers writes (server create/delete, association PUT/DELETE), since Rackspace's
multiproduct roles span both services.
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sandbox.errors import ApiError

PERMISSIONS = {
    "admin": {"read", "create", "update", "delete"},
    "creator": {"read", "create", "update"},
    "observer": {"read"},
}


@dataclass(frozen=True)
class Caller:
    """Who a valid token belongs to."""

    user_name: str
    user_id: str
    tenant_id: str
    role: str
    token: str
    expires: float

    def require(self, action: str) -> None:
        """403 unless the caller's role allows ``action`` (read/create/update/delete)."""
        if action not in PERMISSIONS.get(self.role, set()):
            raise ApiError(
                403,
                f"Role '{self.role}' of user {self.user_name} does not permit {action} "
                "operations on this resource.",
                type="PolicyNotAuthorized",
            )


def iso(timestamp: float) -> str:
    """An epoch timestamp as Identity writes it (``2015-06-05T16:24:57.637Z``)."""
    return (
        datetime.fromtimestamp(timestamp, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def unauthorized(
    message: str = "No valid token provided. Please use the 'X-Auth-Token' header "
    "with a valid token.",
) -> ApiError:
    """The 401 every service answers for a missing, unknown or expired token."""
    return ApiError(401, message)


def check_credentials(
    db: sqlite3.Connection, username: str, api_key: str | None, password: str | None
) -> sqlite3.Row | None:
    """The user row when the API key or password matches, else ``None``."""
    row = db.execute("SELECT * FROM users WHERE name = ?", (username,)).fetchone()
    if row is None:
        return None
    given, stored = (
        (api_key, row["api_key"]) if api_key is not None else (password, row["password"])
    )
    if given is None or stored is None:
        return None
    return row if hmac.compare_digest(given.encode(), stored.encode()) else None


def issue_token(
    db: sqlite3.Connection, user: sqlite3.Row, ttl: int, method: str
) -> tuple[str, float]:
    """A new random token for ``user``; returns (id, expiry epoch)."""
    token = secrets.token_hex(16)
    expires = time.time() + ttl
    db.execute(
        "INSERT INTO tokens (id, user_name, tenant_id, expires, method) VALUES (?, ?, ?, ?, ?)",
        (token, user["name"], user["tenant_id"], expires, method),
    )
    return token, expires


def caller_for(db: sqlite3.Connection, token: str | None) -> Caller:
    """The caller of a valid token; 401 otherwise."""
    if not token:
        raise unauthorized()
    row = db.execute(
        "SELECT t.id, t.expires, t.tenant_id, u.name, u.user_id, u.role FROM tokens t"
        " JOIN users u ON u.name = t.user_name AND u.tenant_id = t.tenant_id WHERE t.id = ?",
        (token,),
    ).fetchone()
    if row is None:
        raise unauthorized()
    if row["expires"] <= time.time():
        raise unauthorized("The token has expired; authenticate again.")
    return Caller(
        row["name"], row["user_id"], row["tenant_id"], row["role"], row["id"], row["expires"]
    )


def expire_all(db: sqlite3.Connection) -> int:
    """Make every token expired now (sandbox admin); returns how many."""
    return db.execute(
        "UPDATE tokens SET expires = ? WHERE expires > ?", (time.time(), time.time())
    ).rowcount
