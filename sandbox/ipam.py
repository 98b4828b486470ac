"""Address plans and allocation for the sandbox's subnets.

Each region gets its own slice of documentation / benchmarking ranges so addresses never
collide between regions: PublicNet IPv4 from 203.0.113.0/24, 198.51.100.0/24 or 192.0.2.0/24
(one per region) and, once that fills up, a /20 of 198.18.0.0/15 (RFC 2544, never routed);
PublicNet IPv6 from 2001:db8::/32; ServiceNet from 10.176.0.0/12. Isolated networks use the
seed's ``cidr`` / ``cidr6``. Host ``.1`` is the gateway and is never handed out.
"""

from __future__ import annotations

import ipaddress
import sqlite3

from sandbox.errors import ApiError
from sandbox.seed import PUBLICNET_ID, SERVICENET_ID, derived_id

_DOC_V4 = ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")
_OVERFLOW_V4 = list(ipaddress.ip_network("198.18.0.0/15").subnets(new_prefix=20))
_FIRST_HOST = 2  # .0 is the network, .1 the gateway


def provider_subnet_plan(region_position: int) -> dict[str, list[tuple[int, str]]]:
    """CIDRs (version, cidr) of PublicNet and ServiceNet in the region at ``region_position``."""
    i = region_position
    return {
        PUBLICNET_ID: [
            (4, _DOC_V4[i % len(_DOC_V4)]),
            (4, str(_OVERFLOW_V4[i % len(_OVERFLOW_V4)])),
            (6, f"2001:db8:{i:x}::/64"),
        ],
        SERVICENET_ID: [(4, f"10.{176 + i % 16}.0.0/16")],
    }


def add_subnets(
    db: sqlite3.Connection, region: str, network_id: str, plan: list[tuple[int, str]]
) -> None:
    """Create the subnets of one network (ids derived from region, network and order)."""
    for position, (version, cidr) in enumerate(plan):
        db.execute(
            "INSERT INTO subnets (id, region, network_id, version, cidr, position, next_host)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                derived_id("subnet", region, network_id, position),
                region,
                network_id,
                version,
                cidr,
                position,
                _FIRST_HOST,
            ),
        )


def _usable(cidr: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int]:
    net = ipaddress.ip_network(cidr)
    # Cap IPv6 so arithmetic stays small; 2**32 hosts is more than any sandbox will use.
    last = min(net.num_addresses - 2, 2**32)
    return net, last


def _in_use(db: sqlite3.Connection, subnet_id: str, address: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM ip_addresses WHERE subnet_id = ? AND address = ? AND deallocated = 0",
        (subnet_id, address),
    ).fetchone()
    return row is not None


def allocate(
    db: sqlite3.Connection, region: str, network_id: str, version: int, wanted: str | None = None
) -> tuple[str, str]:
    """Pick a free address on the network: ``(subnet_id, address)``.

    Raises 400 when the network has no subnet of that version or ``wanted`` is not in one,
    409 when ``wanted`` is taken or the network is full.
    """
    subnets = db.execute(
        "SELECT * FROM subnets WHERE region = ? AND network_id = ? AND version = ? ORDER"
        " BY position",
        (region, network_id, version),
    ).fetchall()
    if not subnets:
        raise ApiError(
            400,
            f"Bad ip_addresses request: network {network_id} has no IPv{version} subnet.",
            type="BadRequest",
        )
    if wanted is not None:
        return _allocate_wanted(db, subnets, network_id, wanted)
    for subnet in subnets:
        net, last = _usable(subnet["cidr"])
        used = db.execute(
            "SELECT COUNT(*) FROM ip_addresses WHERE subnet_id = ? AND deallocated = 0",
            (subnet["id"],),
        ).fetchone()[0]
        if used >= last - _FIRST_HOST + 1:
            continue
        host = subnet["next_host"]
        for _ in range(last - _FIRST_HOST + 1):
            if host > last:
                host = _FIRST_HOST
            address = str(net.network_address + host)
            host += 1
            if not _in_use(db, subnet["id"], address):
                db.execute("UPDATE subnets SET next_host = ? WHERE id = ?", (host, subnet["id"]))
                return subnet["id"], address
    raise ApiError(
        409,
        f"No more IP addresses available on network {network_id}.",
        type="IpAddressGenerationFailure",
    )


def _allocate_wanted(
    db: sqlite3.Connection, subnets: list[sqlite3.Row], network_id: str, wanted: str
) -> tuple[str, str]:
    try:
        address = ipaddress.ip_address(wanted)
    except ValueError:
        raise ApiError(
            400,
            f"Invalid input for ip_address. Reason: '{wanted}' is not a valid IP address.",
            type="InvalidInput",
        ) from None
    for subnet in subnets:
        net, last = _usable(subnet["cidr"])
        if address.version == net.version and address in net:
            host = int(address) - int(net.network_address)
            if not _FIRST_HOST <= host <= last:
                break
            if _in_use(db, subnet["id"], str(address)):
                raise ApiError(
                    409,
                    f"Unable to complete operation for network {network_id}. "
                    f"The IP address {address} is in use.",
                    type="IpAddressInUse",
                )
            return subnet["id"], str(address)
    raise ApiError(
        400,
        f"IP address {wanted} is not a valid IP for the subnets of network {network_id}.",
        type="InvalidIpForNetwork",
    )
