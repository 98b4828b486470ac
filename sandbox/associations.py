"""Explicit associations of shared IPs with servers: Cloud Servers' ``ip_associations``.

An association is an (IP, port) pair of :mod:`sandbox.sharedips` whose ``service`` is
``compute``, on a port of the server (research §5.7 to §5.10). PUT is idempotent and says
whether it created the association; DELETE refuses a pair that is not associated. Every
function runs inside the caller's transaction and raises :class:`ApiError` in Nova's shape.
"""

from __future__ import annotations

import sqlite3

from sandbox import inventory, sharedips
from sandbox.errors import ApiError


def _association_target(
    db: sqlite3.Connection, region: str, tenant: str, server_id: str, ip_id: str
) -> tuple[sqlite3.Row, list[sqlite3.Row]]:
    inventory.find_server(db, region, tenant, server_id)
    ip = db.execute(
        "SELECT * FROM ip_addresses WHERE id = ? AND region = ? AND tenant_id = ? AND"
        " deallocated = 0",
        (ip_id, region, tenant),
    ).fetchone()
    if ip is None:
        raise ApiError(404, f"IP address {ip_id} could not be found.")
    held = [p for p in sharedips.pairs_of(db, ip_id).values() if p["device_id"] == server_id]
    return ip, held


def _association(ip: sqlite3.Row) -> dict[str, str]:
    return {"id": ip["id"], "address": ip["address"]}


def list_associations(
    db: sqlite3.Connection, region: str, tenant: str, server_id: str
) -> list[dict[str, str]]:
    """IPs whose pair on one of this server's ports is ``compute`` (research §5.7)."""
    inventory.find_server(db, region, tenant, server_id)
    rows = db.execute(
        "SELECT DISTINCT ip.* FROM ip_addresses ip JOIN port_ips pi ON pi.ip_id = ip.id"
        " JOIN ports p ON p.id = pi.port_id"
        " WHERE p.device_id = ? AND pi.service = 'compute' AND ip.deallocated = 0 ORDER BY"
        " ip.rowid",
        (server_id,),
    ).fetchall()
    return [_association(r) for r in rows]


def show_association(
    db: sqlite3.Connection, region: str, tenant: str, server_id: str, ip_id: str
) -> dict[str, str]:
    """One association; 404 unless the server's pair is ``compute`` (research §5.9)."""
    ip, held = _association_target(db, region, tenant, server_id, ip_id)
    if not any(p["service"] == "compute" for p in held):
        raise ApiError(404, "IP association not found.")
    return _association(ip)


def associate(
    db: sqlite3.Connection, region: str, tenant: str, server_id: str, ip_id: str
) -> tuple[dict[str, str], bool]:
    """Mark the server's pair ``compute``; returns (association, newly created)."""
    ip, held = _association_target(db, region, tenant, server_id, ip_id)
    if ip["type"] != "shared":
        raise ApiError(400, f"IP address {ip_id} is not a shared IP and cannot be associated.")
    if not held:
        raise ApiError(
            404,
            f"Server {server_id} has no port provisioned with IP address {ip_id}.",
            details="Add one of the server's ports to the IP's port_ids first.",
        )
    if len(held) > 1:
        raise ApiError(
            400,
            f"Ambiguous association: more than one port of server {server_id} carries "
            f"IP address {ip_id}.",
        )
    if held[0]["service"] == "compute":
        return _association(ip), False
    db.execute(
        "UPDATE port_ips SET service = 'compute' WHERE ip_id = ? AND port_id = ?",
        (ip_id, held[0]["port_id"]),
    )
    return _association(ip), True


def disassociate(
    db: sqlite3.Connection, region: str, tenant: str, server_id: str, ip_id: str
) -> None:
    """Set the server's pair back to ``none``; 404 when it is not associated (research §5.10)."""
    _ip, held = _association_target(db, region, tenant, server_id, ip_id)
    associated = [p for p in held if p["service"] == "compute"]
    if not associated:
        raise ApiError(404, "IP association not found.")
    db.executemany(
        "UPDATE port_ips SET service = 'none' WHERE ip_id = ? AND port_id = ?",
        [(ip_id, p["port_id"]) for p in associated],
    )
