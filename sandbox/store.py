"""SQLite persistence: one connection, one lock, one transaction per state change.

All access goes through :meth:`Store.tx`, which holds a process-wide lock around a
``BEGIN IMMEDIATE`` transaction. SQLite serialises writers anyway; doing it in Python as well
makes read-modify-write sequences (e.g. two concurrent association PUTs on one IP) atomic
without retry loops, and lets ``:memory:`` databases be shared by every request thread.
WAL with ``synchronous=NORMAL`` survives a killed process (only an OS crash can lose the
last commits), which is what "a restart loses nothing" needs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS regions (
    name TEXT PRIMARY KEY, position INTEGER NOT NULL, zones TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, user_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
    api_key TEXT, password TEXT, role TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, user_name TEXT NOT NULL, tenant_id TEXT NOT NULL,
    expires REAL NOT NULL, method TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS networks (
    region TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    tenant_id TEXT, PRIMARY KEY (region, id));
CREATE TABLE IF NOT EXISTS subnets (
    id TEXT PRIMARY KEY, region TEXT NOT NULL, network_id TEXT NOT NULL,
    version INTEGER NOT NULL, cidr TEXT NOT NULL, position INTEGER NOT NULL,
    next_host INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY, region TEXT NOT NULL, tenant_id TEXT NOT NULL, name TEXT NOT NULL,
    zone TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL, image TEXT,
    flavor TEXT, metadata TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS ports (
    id TEXT PRIMARY KEY, region TEXT NOT NULL, tenant_id TEXT NOT NULL,
    network_id TEXT NOT NULL, device_id TEXT NOT NULL, segment TEXT,
    mac TEXT NOT NULL, name TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ip_addresses (
    id TEXT PRIMARY KEY, region TEXT NOT NULL, tenant_id TEXT NOT NULL,
    network_id TEXT NOT NULL, subnet_id TEXT NOT NULL, address TEXT NOT NULL,
    version INTEGER NOT NULL, type TEXT NOT NULL, deallocated INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS port_ips (
    ip_id TEXT NOT NULL, port_id TEXT NOT NULL, enabled INTEGER NOT NULL,
    service TEXT NOT NULL DEFAULT 'none', PRIMARY KEY (ip_id, port_id));
CREATE INDEX IF NOT EXISTS ports_device ON ports (device_id);
CREATE INDEX IF NOT EXISTS ports_owner ON ports (region, tenant_id);
CREATE INDEX IF NOT EXISTS ips_owner ON ip_addresses (region, tenant_id, deallocated);
CREATE INDEX IF NOT EXISTS ips_address ON ip_addresses (subnet_id, address, deallocated);
CREATE INDEX IF NOT EXISTS port_ips_port ON port_ips (port_id);
CREATE INDEX IF NOT EXISTS servers_owner ON servers (region, tenant_id);
"""

#: Tables emptied by a reset (tokens survive so clients need not re-authenticate).
WORLD_TABLES = (
    "regions",
    "tenants",
    "users",
    "networks",
    "subnets",
    "servers",
    "ports",
    "ip_addresses",
    "port_ips",
)


class Store:
    """The sandbox database. ``path`` is a file path or ``:memory:``."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30.0
        )
        self._conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One atomic transaction; rolled back if the body raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def get_meta(self, key: str) -> Any:
        """A JSON value stored under ``key`` in the meta table, or ``None``."""
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row["value"])

    def close(self) -> None:
        """Checkpoint the WAL and close the connection."""
        with self._lock:
            if self.path != ":memory:":
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()


def set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    """Store a JSON value under ``key`` (inside the caller's transaction)."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def get_meta(db: sqlite3.Connection, key: str) -> Any:
    """A JSON value from the meta table inside the caller's transaction."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row["value"])
