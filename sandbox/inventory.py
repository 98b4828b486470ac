"""The seeded world in the database: regions, users, networks, servers, ports and fixed IPs.

Functions here run inside a caller's transaction (they take the connection) and either
change rows, look rows up, or turn rows into the JSON objects the APIs return. The route
modules hold no SQL of their own: every query about this world is named here.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sandbox import ipam
from sandbox.errors import ApiError
from sandbox.seed import PUBLICNET_ID, SERVICENET_ID, Seed, derived_id
from sandbox.store import WORLD_TABLES, set_meta

PROVIDER_NETWORKS = {
    PUBLICNET_ID: ("public", "publicnet"),
    SERVICENET_ID: ("private", "servicenet"),
}


def now_iso() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wipe(db: sqlite3.Connection) -> None:
    """Remove the whole world (tokens and metadata stay)."""
    for table in WORLD_TABLES:
        db.execute(f"DELETE FROM {table}")


def apply_seed(db: sqlite3.Connection, seed: Seed) -> None:
    """Create everything the seed describes in an empty world."""
    for position, region in enumerate(seed.regions):
        db.execute(
            "INSERT INTO regions (name, position, zones) VALUES (?, ?, ?)",
            (region.name, position, json.dumps(list(region.zones))),
        )
        provider_plan = ipam.provider_subnet_plan(position)
        for net_id, (name, kind) in PROVIDER_NETWORKS.items():
            db.execute(
                "INSERT INTO networks (region, id, name, kind, tenant_id) VALUES (?, ?, ?,"
                " ?, NULL)",
                (region.name, net_id, name, kind),
            )
            ipam.add_subnets(db, region.name, net_id, provider_plan[net_id])
    for tenant in seed.tenants:
        db.execute("INSERT INTO tenants (id) VALUES (?)", (tenant,))
    for user in seed.users:
        db.execute(
            "INSERT INTO users (name, user_id, tenant_id, api_key, password, role)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                user.name,
                user_number(user.name),
                user.tenant_id,
                user.api_key,
                user.password,
                user.role,
            ),
        )
    for net in seed.networks:
        db.execute(
            "INSERT INTO networks (region, id, name, kind, tenant_id) VALUES (?, ?, ?,"
            " 'isolated', ?)",
            (net.region, net.id, net.name, net.tenant_id),
        )
        plan = [(4, net.cidr)] + ([(6, net.cidr6)] if net.cidr6 else [])
        ipam.add_subnets(db, net.region, net.id, plan)
    for server in seed.servers:
        create_server(
            db,
            server_id=server.id,
            name=server.name,
            tenant_id=server.tenant_id,
            region=server.region,
            zone=server.zone,
            network_ids=list(server.network_ids),
        )
    set_meta(db, "quotas", {"shared": seed.shared_ip_quota, "per_port": seed.port_ip_quota})
    set_meta(db, "seed", seed.raw)
    set_meta(db, "seeded_at", now_iso())


def user_number(name: str) -> str:
    """A stable numeric user id, like Identity's."""
    return str(uuid.UUID(derived_id("user", name)).int % 900000 + 100000)


def region_row(db: sqlite3.Connection, region: str) -> sqlite3.Row | None:
    """The region called ``region`` (upper-case), or ``None``."""
    return db.execute("SELECT * FROM regions WHERE name = ?", (region,)).fetchone()


def region_names(db: sqlite3.Connection) -> list[str]:
    """Configured regions in seed order."""
    return [r["name"] for r in db.execute("SELECT name FROM regions ORDER BY position")]


def visible_network(
    db: sqlite3.Connection, region: str, tenant: str, net_id: str
) -> sqlite3.Row | None:
    """A network the tenant may use: a provider network or one of its own isolated ones."""
    return db.execute(
        "SELECT * FROM networks WHERE region = ? AND id = ? AND (tenant_id IS NULL OR"
        " tenant_id = ?)",
        (region, net_id, tenant),
    ).fetchone()


def region_zones(db: sqlite3.Connection, region: str) -> list[str]:
    """The public IP zones of ``region`` in seed order (none for an unknown region)."""
    row = region_row(db, region)
    zones: list[str] = [] if row is None else json.loads(row["zones"])
    return zones


def visible_networks(db: sqlite3.Connection, region: str, tenant: str) -> list[sqlite3.Row]:
    """The networks the tenant may use in ``region``: provider networks first, then its own."""
    return db.execute(
        "SELECT * FROM networks WHERE region = ? AND (tenant_id IS NULL OR tenant_id = ?)"
        " ORDER BY tenant_id IS NOT NULL, rowid",
        (region, tenant),
    ).fetchall()


def tenant_ports(db: sqlite3.Connection, region: str, tenant: str) -> list[sqlite3.Row]:
    """The tenant's ports in ``region``, oldest first."""
    return db.execute(
        "SELECT * FROM ports WHERE region = ? AND tenant_id = ? ORDER BY rowid",
        (region, tenant),
    ).fetchall()


def tenant_port(
    db: sqlite3.Connection, region: str, tenant: str, port_id: str
) -> sqlite3.Row | None:
    """The tenant's port ``port_id`` in ``region``, or ``None``."""
    return db.execute(
        "SELECT * FROM ports WHERE id = ? AND region = ? AND tenant_id = ?",
        (port_id, region, tenant),
    ).fetchone()


def tenant_servers(db: sqlite3.Connection, region: str, tenant: str) -> list[sqlite3.Row]:
    """The tenant's servers in ``region``, oldest first."""
    return db.execute(
        "SELECT * FROM servers WHERE region = ? AND tenant_id = ? ORDER BY rowid",
        (region, tenant),
    ).fetchall()


def tenant_server(
    db: sqlite3.Connection, region: str, tenant: str, server_id: str
) -> sqlite3.Row | None:
    """The tenant's server ``server_id`` in ``region``, or ``None``."""
    return db.execute(
        "SELECT * FROM servers WHERE id = ? AND region = ? AND tenant_id = ?",
        (server_id, region, tenant),
    ).fetchone()


def find_server(db: sqlite3.Connection, region: str, tenant: str, server_id: str) -> sqlite3.Row:
    """The tenant's server in the region, or a Nova 404."""
    row = tenant_server(db, region, tenant, server_id)
    if row is None:
        raise ApiError(404, f"Instance {server_id} could not be found.")
    return row


def _mac(port_id: str) -> str:
    tail = uuid.UUID(port_id).hex[-6:]
    return "BC:76:4E:" + ":".join(tail[i : i + 2].upper() for i in range(0, 6, 2))


def create_server(
    db: sqlite3.Connection,
    *,
    server_id: str,
    name: str,
    tenant_id: str,
    region: str,
    zone: str,
    network_ids: list[str],
    image: str | None = None,
    flavor: str | None = None,
    metadata: dict[str, str] | None = None,
) -> None:
    """Insert a server with one port (and its fixed IPs) per entry of ``network_ids``."""
    db.execute(
        "INSERT INTO servers (id, region, tenant_id, name, zone, status, created, image, flavor,"
        " metadata) VALUES (?, ?, ?, ?, ?, 'ACTIVE', ?, ?, ?, ?)",
        (
            server_id,
            region,
            tenant_id,
            name,
            zone,
            now_iso(),
            image,
            flavor,
            json.dumps(metadata or {}),
        ),
    )
    seen: dict[str, int] = defaultdict(int)
    for net_id in network_ids:
        seen[net_id] += 1
        suffix = "" if seen[net_id] == 1 else f"/{seen[net_id]}"
        port_id = derived_id("port", server_id, net_id + suffix)
        net = db.execute(
            "SELECT * FROM networks WHERE region = ? AND id = ?", (region, net_id)
        ).fetchone()
        segment = zone if net["kind"] != "isolated" else None
        db.execute(
            "INSERT INTO ports (id, region, tenant_id, network_id, device_id, segment, mac, name,"
            " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                port_id,
                region,
                tenant_id,
                net_id,
                server_id,
                segment,
                _mac(port_id),
                f"{name}-{net['name']}",
                now_iso(),
            ),
        )
        # A PublicNet port carries an IPv4 and an IPv6 address, the others IPv4 only
        # (plus IPv6 on isolated networks that have an IPv6 subnet).
        versions = [4, 6] if net["kind"] != "servicenet" else [4]
        for version in versions:
            has_subnet = db.execute(
                "SELECT 1 FROM subnets WHERE region = ? AND network_id = ? AND version = ?",
                (region, net_id, version),
            ).fetchone()
            if not has_subnet:
                continue
            subnet_id, address = ipam.allocate(db, region, net_id, version)
            ip_id = derived_id("fixed-ip", port_id, version)
            db.execute(
                "INSERT INTO ip_addresses (id, region, tenant_id, network_id, subnet_id, address,"
                " version, type, created) VALUES (?, ?, ?, ?, ?, ?, ?, 'fixed', ?)",
                (ip_id, region, tenant_id, net_id, subnet_id, address, version, now_iso()),
            )
            db.execute(
                "INSERT INTO port_ips (ip_id, port_id, enabled, service) VALUES (?, ?, 1, 'none')",
                (ip_id, port_id),
            )


def delete_server(db: sqlite3.Connection, server_id: str) -> None:
    """Delete a server, its ports, their fixed IPs and every shared-IP pair on them."""
    ports = [r["id"] for r in db.execute("SELECT id FROM ports WHERE device_id = ?", (server_id,))]
    for port_id in ports:
        db.execute(
            "UPDATE ip_addresses SET deallocated = 1 WHERE type = 'fixed' AND id IN"
            " (SELECT ip_id FROM port_ips WHERE port_id = ?)",
            (port_id,),
        )
        db.execute("DELETE FROM port_ips WHERE port_id = ?", (port_id,))
        db.execute("DELETE FROM ports WHERE id = ?", (port_id,))
    db.execute("DELETE FROM servers WHERE id = ?", (server_id,))


# ---------------------------------------------------------------- views


def network_view(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """A network as Cloud Networks shows it."""
    subnets = [
        r["id"]
        for r in db.execute(
            "SELECT id FROM subnets WHERE region = ? AND network_id = ? ORDER BY position",
            (row["region"], row["id"]),
        )
    ]
    return {
        "id": row["id"],
        "name": row["name"],
        "status": "ACTIVE",
        "admin_state_up": True,
        "shared": row["tenant_id"] is None,
        "tenant_id": row["tenant_id"] or "rackspace",
        "subnets": subnets,
    }


def port_views(db: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """Ports as Cloud Networks shows them; ``fixed_ips`` lists the port's own (fixed) IPs."""
    fixed: dict[str, list[dict[str, str]]] = defaultdict(list)
    if rows:
        marks = ",".join("?" * len(rows))
        for r in db.execute(
            "SELECT pi.port_id, ip.subnet_id, ip.address FROM port_ips pi"
            " JOIN ip_addresses ip ON ip.id = pi.ip_id"
            f" WHERE ip.type = 'fixed' AND ip.deallocated = 0 AND pi.port_id IN ({marks})"
            " ORDER BY ip.version",
            [row["id"] for row in rows],
        ):
            fixed[r["port_id"]].append({"subnet_id": r["subnet_id"], "ip_address": r["address"]})
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "network_id": row["network_id"],
            "device_id": row["device_id"],
            "device_owner": "compute:None",
            "mac_address": row["mac"],
            "fixed_ips": fixed[row["id"]],
            "tenant_id": row["tenant_id"],
            "status": "ACTIVE",
            "admin_state_up": True,
            "security_groups": [],
        }
        for row in rows
    ]


def ip_views(db: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """IP addresses as Cloud Networks shows them (``address`` and ``ip_address`` both)."""
    pairs: dict[str, list[str]] = defaultdict(list)
    if rows:
        marks = ",".join("?" * len(rows))
        for r in db.execute(
            f"SELECT ip_id, port_id FROM port_ips WHERE ip_id IN ({marks}) ORDER BY rowid",
            [row["id"] for row in rows],
        ):
            pairs[r["ip_id"]].append(r["port_id"])
    return [
        {
            "id": row["id"],
            "network_id": row["network_id"],
            "address": row["address"],
            "ip_address": row["address"],
            "port_ids": pairs[row["id"]],
            "subnet_id": row["subnet_id"],
            "tenant_id": row["tenant_id"],
            "version": row["version"],
            "type": row["type"],
        }
        for row in rows
    ]


def server_view(db: sqlite3.Connection, row: sqlite3.Row, base_url: str) -> dict[str, Any]:
    """A server as Cloud Servers' detail view shows it."""
    addresses: dict[str, list[dict[str, Any]]] = {}
    access: dict[int, str] = {}
    for r in db.execute(
        "SELECT n.name AS net_name, n.kind, ip.address, ip.version FROM ports p"
        " JOIN networks n ON n.region = p.region AND n.id = p.network_id"
        " JOIN port_ips pi ON pi.port_id = p.id"
        " JOIN ip_addresses ip ON ip.id = pi.ip_id AND ip.type = 'fixed' AND ip.deallocated = 0"
        " WHERE p.device_id = ? ORDER BY p.rowid, ip.version",
        (row["id"],),
    ):
        addresses.setdefault(r["net_name"], []).append(
            {"addr": r["address"], "version": r["version"]}
        )
        if r["kind"] == "publicnet":
            access.setdefault(r["version"], r["address"])
    link = f"{base_url}/servers/{row['id']}"
    return {
        "id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "tenant_id": row["tenant_id"],
        "created": row["created"],
        "updated": row["created"],
        "hostId": derived_id("host", row["tenant_id"], row["zone"]).replace("-", ""),
        "accessIPv4": access.get(4, ""),
        "accessIPv6": access.get(6, ""),
        "addresses": addresses,
        "image": {"id": row["image"] or derived_id("image", "default")},
        "flavor": {"id": row["flavor"] or "general1-1"},
        "metadata": json.loads(row["metadata"]),
        "OS-EXT-STS:vm_state": "active",
        "OS-DCF:diskConfig": "AUTO",
        "RAX-PUBLIC-IP-ZONE-ID:publicIPZoneId": row["zone"],
        "links": [{"rel": "self", "href": link}],
    }


def world_state(db: sqlite3.Connection) -> dict[str, dict[str, dict[str, list[Any]]]]:
    """Every tenant's world: ``{tenant: {region: {servers, ports, ip_addresses, associations}}}``.

    Shared and fixed IPs carry their pairs (port, device, service, enabled); an association is
    a pair whose service is ``compute``. Read by the admin path's ``GET /state``.
    """
    dump: dict[str, dict[str, dict[str, list[Any]]]] = defaultdict(
        lambda: defaultdict(
            lambda: {"servers": [], "ports": [], "ip_addresses": [], "associations": []}
        )
    )
    for s in db.execute("SELECT * FROM servers ORDER BY rowid"):
        dump[s["tenant_id"]][s["region"]]["servers"].append(
            {"id": s["id"], "name": s["name"], "zone": s["zone"], "status": s["status"]}
        )
    for p in db.execute("SELECT * FROM ports ORDER BY rowid"):
        dump[p["tenant_id"]][p["region"]]["ports"].append(
            {
                "id": p["id"],
                "network_id": p["network_id"],
                "device_id": p["device_id"],
                "segment": p["segment"],
            }
        )
    pairs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in db.execute(
        "SELECT pi.*, p.device_id FROM port_ips pi JOIN ports p ON p.id = pi.port_id"
        " ORDER BY pi.rowid"
    ):
        pairs[r["ip_id"]].append(
            {
                "port_id": r["port_id"],
                "device_id": r["device_id"],
                "service": r["service"],
                "enabled": bool(r["enabled"]),
            }
        )
    for ip in db.execute("SELECT * FROM ip_addresses WHERE deallocated = 0 ORDER BY rowid"):
        where = dump[ip["tenant_id"]][ip["region"]]
        where["ip_addresses"].append(
            {
                "id": ip["id"],
                "address": ip["address"],
                "network_id": ip["network_id"],
                "version": ip["version"],
                "type": ip["type"],
                "pairs": pairs[ip["id"]],
            }
        )
        for pair in pairs[ip["id"]]:
            if pair["service"] == "compute":
                where["associations"].append(
                    {
                        "server_id": pair["device_id"],
                        "ip_address_id": ip["id"],
                        "address": ip["address"],
                    }
                )
    return dump
