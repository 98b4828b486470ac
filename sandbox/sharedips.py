"""The shared-IP state machine of Cloud Networks' ``ip_addresses`` (research §5), free of HTTP.

Per IP: allocated -> de-allocated (terminal, invisible). Per (IP, port) pair:
``service`` is ``none`` or ``compute``; ``enabled`` is false for ports added here. The
Servers API's side of a pair (``compute``, an association) is :mod:`sandbox.associations`.
Every function runs inside the caller's transaction and raises :class:`ApiError`.
"""

from __future__ import annotations

import ipaddress
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sandbox import inventory, ipam
from sandbox.errors import ApiError, bad_request
from sandbox.store import get_meta

RESOURCE = "ip_addresses"
ADMIN_ONLY_KEYS = ("reset_allocation_time", "deallocated")


def _invalid(key: str, reason: str) -> ApiError:
    return ApiError(400, f"Invalid input for {key}. Reason: {reason}.", type="InvalidInput")


def _spec(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("ip_address"), dict):
        raise bad_request("Body malformed", resource=RESOURCE)
    return body["ip_address"]


def _id_list(spec: Mapping[str, Any], key: str) -> list[str] | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid(key, "must be a list of id strings")
    return list(dict.fromkeys(value))  # duplicates name the same port once


def _version(spec: Mapping[str, Any]) -> int:
    value = spec.get("version")
    if value is None:
        raise bad_request("version is required", resource=RESOURCE)
    if isinstance(value, bool) or value not in (4, 6, "4", "6"):
        raise _invalid("version", f"'{value}' is not 4 or 6")
    return int(value)


def _string(spec: Mapping[str, Any], key: str) -> str | None:
    value = spec.get(key)
    if value is not None and not isinstance(value, str):
        raise _invalid(key, "must be a string")
    return value


def find_ip(db: sqlite3.Connection, region: str, tenant: str, ip_id: str) -> sqlite3.Row:
    """The tenant's allocated IP ``ip_id`` or 404 ``IpAddressNotFound``."""
    row = db.execute(
        "SELECT * FROM ip_addresses WHERE id = ? AND region = ? AND tenant_id = ? AND"
        " deallocated = 0",
        (ip_id, region, tenant),
    ).fetchone()
    if row is None:
        raise ApiError(404, f"IP Address {ip_id} not found.", type="IpAddressNotFound")
    return row


def show_ip(db: sqlite3.Connection, region: str, tenant: str, ip_id: str) -> dict[str, Any]:
    """``GET /ip_addresses/{id}``."""
    return inventory.ip_views(db, [find_ip(db, region, tenant, ip_id)])[0]


def _same_address(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a == b


def list_ips(
    db: sqlite3.Connection, region: str, tenant: str, filters: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """``GET /ip_addresses`` with research §5.1 filters (exact match, AND; repeats are OR)."""
    rows = db.execute(
        "SELECT * FROM ip_addresses WHERE region = ? AND tenant_id = ? AND deallocated = 0"
        " ORDER BY rowid",
        (region, tenant),
    ).fetchall()
    devices: dict[str, set[str]] = defaultdict(set)
    services: dict[str, set[str]] = defaultdict(set)
    for r in db.execute(
        "SELECT pi.ip_id, pi.service, p.device_id FROM port_ips pi JOIN ports p ON p.id ="
        " pi.port_id"
        " WHERE p.region = ? AND p.tenant_id = ?",
        (region, tenant),
    ):
        devices[r["ip_id"]].add(r["device_id"])
        services[r["ip_id"]].add(r["service"])
    views = inventory.ip_views(db, rows)
    result = []
    for view in views:
        checks = {
            "id": lambda v, w=view: v == w["id"],
            "network_id": lambda v, w=view: v == w["network_id"],
            "address": lambda v, w=view: _same_address(v, w["address"]),
            "subnet_id": lambda v, w=view: v == w["subnet_id"],
            "tenant_id": lambda v, w=view: v == w["tenant_id"],
            "version": lambda v, w=view: v == str(w["version"]),
            "type": lambda v, w=view: v == w["type"],
            "device_id": lambda v, w=view: v in devices[w["id"]],
            "service": lambda v, w=view: v in services[w["id"]],
            "port_id": lambda v, w=view: v in w["port_ids"],
        }
        if all(
            any(check(v) for v in filters[key]) for key, check in checks.items() if filters.get(key)
        ):
            result.append(view)
    return result


#: Neutron's page maximum for lists (research §3.3: "lists return at most 100 items").
MAX_PAGE = 100


def paginate(
    db: sqlite3.Connection,
    region: str,
    tenant: str,
    views: list[dict[str, Any]],
    limit: str | None,
    marker: str | None,
) -> tuple[list[dict[str, Any]], bool]:
    """Neutron's pagination of a ``list_ips`` answer: the items after ``marker`` (an IP id, in
    list order), at most ``limit`` (default and cap ``MAX_PAGE``), and whether more follow.

    Raises 400 for a ``limit`` that is not a positive integer and 404 ``IpAddressNotFound``
    for a marker that names no IP of the tenant (Neutron looks the marker object up).
    """
    size = MAX_PAGE
    if limit is not None:
        try:
            size = int(limit)
        except ValueError:
            raise _invalid("limit", "must be an integer") from None
        if size < 1:
            raise _invalid("limit", "must be a positive integer")
        size = min(size, MAX_PAGE)
    if marker:
        order = {
            r["id"]: r["n"]
            for r in db.execute(
                "SELECT rowid AS n, id FROM ip_addresses WHERE region = ? AND tenant_id = ?",
                (region, tenant),
            )
        }
        if marker not in order:
            raise ApiError(404, f"IP Address {marker} not found.", type="IpAddressNotFound")
        # Rows are listed in rowid order; a de-allocated marker keeps its place.
        views = [v for v in views if order[v["id"]] > order[marker]]
    return views[:size], len(views) > size


def _ports_on_request(
    db: sqlite3.Connection,
    region: str,
    tenant: str,
    network_id: str,
    port_ids: list[str] | None,
    device_ids: list[str] | None,
) -> list[sqlite3.Row]:
    if port_ids is not None:
        wanted = port_ids
        marks = ",".join("?" * len(wanted))
        found = {
            r["id"]: r
            for r in db.execute(
                f"SELECT * FROM ports WHERE id IN ({marks}) AND region = ? AND tenant_id = ?",
                [*wanted, region, tenant],
            )
        }
        ports = [found[p] for p in wanted if p in found]
    else:
        wanted = device_ids or []
        marks = ",".join("?" * len(wanted))
        by_device: dict[str, sqlite3.Row] = {}
        for r in db.execute(
            f"SELECT * FROM ports WHERE device_id IN ({marks}) AND network_id = ? AND region = ?"
            " AND tenant_id = ? ORDER BY rowid",
            [*wanted, network_id, region, tenant],
        ):
            by_device.setdefault(r["device_id"], r)
        ports = [by_device[d] for d in wanted if d in by_device]
    if not ports:
        raise ApiError(
            404, f"Could not find port on network {network_id}.", type="PortNotFoundOnNetwork"
        )
    if len(ports) != len(wanted):
        raise ApiError(
            404,
            "Not all ports or devices from request could be found.",
            type="NotAllPortOrDeviceFound",
        )
    return ports


def _check_ports_fit(ports: Sequence[sqlite3.Row], network_id: str) -> None:
    if any(p["network_id"] != network_id for p in ports):
        raise bad_request("Must have ports connected to the requested network", resource=RESOURCE)
    if len({p["segment"] for p in ports}) > 1:
        raise bad_request("Segment id's do not match", resource=RESOURCE)


def _check_port_quota(
    db: sqlite3.Connection, ports: Sequence[sqlite3.Row], kind: str, quotas: Mapping[str, Any]
) -> None:
    limit = quotas["per_port"].get(kind)
    if limit is None:
        return
    for port in ports:
        held = db.execute(
            "SELECT COUNT(*) FROM port_ips pi JOIN ip_addresses ip ON ip.id = pi.ip_id"
            " WHERE pi.port_id = ? AND ip.deallocated = 0",
            (port["id"],),
        ).fetchone()[0]
        if held >= limit:
            raise ApiError(409, "Cannot add more IPs to port", type="CannotAddMoreIPsToPort")


def create_ip(db: sqlite3.Connection, region: str, tenant: str, body: Any) -> dict[str, Any]:
    """``POST /ip_addresses`` following quark's validation order (research §5.2)."""
    spec = _spec(body)
    port_ids = _id_list(spec, "port_ids")
    device_ids = _id_list(spec, "device_ids")
    network_id = _string(spec, "network_id")
    wanted_address = _string(spec, "ip_address")
    body_tenant = _string(spec, "tenant_id")
    if port_ids is not None and device_ids is not None:
        raise bad_request("Specify either port_ids or device_ids, not both", resource=RESOURCE)
    if len(port_ids if port_ids is not None else device_ids or []) < 2:
        raise bad_request("Only shared IPs may be made with this resource", resource=RESOURCE)
    version = _version(spec)
    if network_id is None:
        raise bad_request("network_id is required", resource=RESOURCE)
    network = inventory.visible_network(db, region, tenant, network_id)
    if network is None:
        raise ApiError(404, f"Network {network_id} could not be found.", type="NetworkNotFound")
    if body_tenant is not None and body_tenant != tenant:
        raise ApiError(403, "Not authorized to create IP addresses for another tenant.")
    ports = _ports_on_request(db, region, tenant, network_id, port_ids, device_ids)
    _check_ports_fit(ports, network_id)
    if wanted_address is not None and network["kind"] != "isolated":
        raise bad_request(
            "Specific IP addresses may only be requested on isolated networks", resource=RESOURCE
        )
    quotas = get_meta(db, "quotas")
    limit = quotas["shared"].get(network["kind"])
    if limit is not None:
        count = db.execute(
            "SELECT COUNT(*) FROM ip_addresses WHERE region = ? AND tenant_id = ? AND"
            " network_id = ?"
            " AND type = 'shared' AND deallocated = 0",
            (region, tenant, network_id),
        ).fetchone()[0]
        if count >= limit:
            raise ApiError(
                409,
                "Cannot create more shared IPs on selected network",
                type="CannotCreateMoreSharedIPs",
            )
    _check_port_quota(db, ports, network["kind"], quotas)
    subnet_id, address = ipam.allocate(db, region, network_id, version, wanted_address)
    ip_id = str(uuid.uuid4())
    db.execute(
        "INSERT INTO ip_addresses (id, region, tenant_id, network_id, subnet_id, address, version,"
        " type, created) VALUES (?, ?, ?, ?, ?, ?, ?, 'shared', ?)",
        (ip_id, region, tenant, network_id, subnet_id, address, version, inventory.now_iso()),
    )
    db.executemany(
        "INSERT INTO port_ips (ip_id, port_id, enabled, service) VALUES (?, ?, 0, 'none')",
        [(ip_id, p["id"]) for p in ports],
    )
    return show_ip(db, region, tenant, ip_id)


def pairs_of(db: sqlite3.Connection, ip_id: str) -> dict[str, sqlite3.Row]:
    """The IP's (IP, port) pairs by port id, each with the port's ``device_id``."""
    return {
        r["port_id"]: r
        for r in db.execute(
            "SELECT pi.*, p.device_id FROM port_ips pi JOIN ports p ON p.id = pi.port_id"
            " WHERE pi.ip_id = ? ORDER BY pi.rowid",
            (ip_id,),
        )
    }


def _requires_disassociation() -> ApiError:
    return ApiError(
        400,
        "Port requires disassociation before IP can be deleted",
        type="PortRequiresDisassociation",
    )


def _refuse_fixed(row: sqlite3.Row) -> None:
    if row["type"] == "fixed":
        raise bad_request("Fixed ips cannot be updated using this interface", resource=RESOURCE)


def _deallocate(db: sqlite3.Connection, ip_id: str) -> None:
    db.execute("DELETE FROM port_ips WHERE ip_id = ?", (ip_id,))
    db.execute("UPDATE ip_addresses SET deallocated = 1 WHERE id = ?", (ip_id,))


def update_ip(
    db: sqlite3.Connection, region: str, tenant: str, ip_id: str, body: Any
) -> dict[str, Any]:
    """``PUT /ip_addresses/{id}``: replace the port list (research §5.4)."""
    spec = _spec(body)
    row = find_ip(db, region, tenant, ip_id)
    _refuse_fixed(row)
    for key in ADMIN_ONLY_KEYS:
        if key in spec:
            raise ApiError(403, f"Only an administrator may set {key}.")
    pairs = pairs_of(db, ip_id)
    if "port_ids" not in spec:
        # quark's undocumented route: no port list means de-allocate.
        if any(p["service"] != "none" for p in pairs.values()):
            raise _requires_disassociation()
        view = inventory.ip_views(db, [row])[0]
        _deallocate(db, ip_id)
        return view | {"port_ids": []}
    port_ids = _id_list(spec, "port_ids")
    if not port_ids:
        raise bad_request("Cannot be updated with empty port_id list", resource=RESOURCE)
    marks = ",".join("?" * len(port_ids))
    found = {
        r["id"]: r
        for r in db.execute(
            f"SELECT * FROM ports WHERE id IN ({marks}) AND region = ? AND tenant_id = ?",
            [*port_ids, region, tenant],
        )
    }
    for port_id in port_ids:
        if port_id not in found:
            raise ApiError(404, f"Port {port_id} could not be found.", type="PortNotFound")
    ports = [found[p] for p in port_ids]
    _check_ports_fit(ports, row["network_id"])
    removed = [p for p in pairs if p not in found]
    if any(pairs[p]["service"] != "none" for p in removed):
        raise _requires_disassociation()
    added = [p for p in ports if p["id"] not in pairs]
    network = inventory.visible_network(db, region, tenant, row["network_id"])
    if network is None:  # cannot happen while networks are never deleted; 404 if they ever are
        raise ApiError(
            404, f"Network {row['network_id']} could not be found.", type="NetworkNotFound"
        )
    _check_port_quota(db, added, network["kind"], get_meta(db, "quotas"))
    for port_id in removed:
        db.execute("DELETE FROM port_ips WHERE ip_id = ? AND port_id = ?", (ip_id, port_id))
    db.executemany(
        "INSERT INTO port_ips (ip_id, port_id, enabled, service) VALUES (?, ?, 0, 'none')",
        [(ip_id, p["id"]) for p in added],
    )
    return show_ip(db, region, tenant, ip_id)


def delete_ip(db: sqlite3.Connection, region: str, tenant: str, ip_id: str) -> None:
    """``DELETE /ip_addresses/{id}``: refused while any association remains (research §5.5)."""
    row = find_ip(db, region, tenant, ip_id)
    _refuse_fixed(row)
    if any(p["service"] != "none" for p in pairs_of(db, ip_id).values()):
        raise _requires_disassociation()
    _deallocate(db, ip_id)
