"""Seed files: the users, tenants, regions, networks and servers a fresh database starts with.

A seed is YAML or JSON (JSON is valid YAML, so one parser reads both). See
``default_seed.yaml`` for the format. Servers can be listed one by one or compactly::

    servers:
      - {name_prefix: bench-, count: 500, tenant: "123456", region: DFW, zone: dfw-zone-a}

Ids not given in the file are derived with ``uuid5`` so a seed always produces the same world.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

PUBLICNET_ID = "00000000-0000-0000-0000-000000000000"
SERVICENET_ID = "11111111-1111-1111-1111-111111111111"
ROLES = ("admin", "creator", "observer")
NETWORK_KINDS = ("publicnet", "servicenet", "isolated")

#: Namespace for every derived id, so ids are stable across runs and machines.
ID_NAMESPACE = uuid.UUID("6b7d1d4e-5a3c-4a53-9d0e-7361616e6462")


def derived_id(*parts: object) -> str:
    """A deterministic UUID for the given parts."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(str(p) for p in parts)))


class SeedError(ValueError):
    """The seed file is unreadable or describes an inconsistent world."""


@dataclass(frozen=True)
class User:
    """A login: belongs to one tenant and has one role."""

    name: str
    tenant_id: str
    api_key: str | None
    password: str | None
    role: str


@dataclass(frozen=True)
class Region:
    """A region and its public IP zones (the first zone is where new servers land)."""

    name: str
    zones: tuple[str, ...]


@dataclass(frozen=True)
class IsolatedNetwork:
    """A tenant's own Cloud Network in one region."""

    id: str
    name: str
    tenant_id: str
    region: str
    cidr: str
    cidr6: str | None = None


@dataclass(frozen=True)
class Server:
    """A server and the networks (ids) it has a port on, in order."""

    id: str
    name: str
    tenant_id: str
    region: str
    zone: str
    network_ids: tuple[str, ...]


@dataclass
class Seed:
    """A whole seeded world."""

    regions: list[Region]
    tenants: list[str]
    users: list[User]
    networks: list[IsolatedNetwork] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)
    shared_ip_quota: dict[str, int | None] = field(default_factory=dict)
    port_ip_quota: dict[str, int | None] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def user(self, name: str) -> User:
        """The user called ``name`` (``SeedError`` when absent)."""
        for user in self.users:
            if user.name == name:
                return user
        raise SeedError(
            f"no user {name!r} in the seed (users: {', '.join(u.name for u in self.users)})"
        )


DEFAULT_QUOTAS: dict[str, dict[str, int | None]] = {
    "shared_ips_per_tenant": {"publicnet": 5, "servicenet": 0, "isolated": None},
    "ips_per_port": {"publicnet": 6, "servicenet": 1, "isolated": 5},
}


def default_seed_text() -> str:
    """The text of the packaged ``default_seed.yaml``."""
    return resources.files("sandbox").joinpath("default_seed.yaml").read_text(encoding="utf-8")


def load_seed(path: str | Path | None = None) -> Seed:
    """Read and validate a seed file; ``None`` gives the default seed."""
    if path is None:
        text, origin = default_seed_text(), "default seed"
    else:
        try:
            text, origin = Path(path).read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise SeedError(f"cannot read seed file {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SeedError(f"{origin}: not valid YAML or JSON: {exc}") from exc
    return parse_seed(data, origin)


def parse_seed(data: Any, origin: str = "seed") -> Seed:
    """Validate already-parsed seed data (the shape of ``default_seed.yaml``)."""
    if not isinstance(data, dict):
        raise SeedError(f"{origin}: the top level must be a mapping")
    # Round-trip through JSON so the stored copy is plain data (YAML may hold dates etc.).
    try:
        raw = json.loads(json.dumps(data))
    except (TypeError, ValueError) as exc:
        raise SeedError(f"{origin}: holds values that are not plain data: {exc}") from exc
    return _Parser(origin).parse(raw)


class _Parser:
    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, where: str, message: str) -> SeedError:
        return SeedError(f"{self.origin}: {where}: {message}")

    def items(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        return value

    def text(self, entry: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = entry.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"{key!r} must be a non-empty string")
        return value

    def parse(self, data: dict[str, Any]) -> Seed:
        regions = self.regions(data)
        region_zones = {r.name: r.zones for r in regions}
        tenants, users = self.tenants_and_users(data)
        networks = self.networks(data, region_zones, tenants)
        servers = self.servers(data, region_zones, tenants, networks)
        shared, per_port = self.quotas(data)
        return Seed(regions, tenants, users, networks, servers, shared, per_port, raw=data)

    def regions(self, data: dict[str, Any]) -> list[Region]:
        regions = []
        for i, entry in enumerate(self.items(data, "regions")):
            where = f"regions[{i}]"
            if isinstance(entry, str):
                entry = {"name": entry}
            if not isinstance(entry, dict):
                raise self.fail(where, "must be a name or a mapping")
            name = self.text(entry, "name", where).upper()
            zones = entry.get("zones") or [f"{name.lower()}-zone-a"]
            if not isinstance(zones, list) or not all(isinstance(z, str) and z for z in zones):
                raise self.fail(where, "'zones' must be a list of names")
            regions.append(Region(name, tuple(zones)))
        if not regions:
            raise self.fail("regions", "at least one region is required")
        if len({r.name for r in regions}) != len(regions):
            raise self.fail("regions", "region names must be unique")
        return regions

    def user(self, entry: Any, where: str, tenant: str | None) -> User:
        if not isinstance(entry, dict):
            raise self.fail(where, "must be a mapping")
        name = self.text(entry, "name", where)
        tenant_id = tenant or self.text(entry, "tenant", where)
        role = entry.get("role", "admin")
        if role not in ROLES:
            raise self.fail(where, f"role must be one of {', '.join(ROLES)}")
        api_key, password = entry.get("api_key"), entry.get("password")
        if not api_key and not password:
            raise self.fail(where, "needs an 'api_key' or a 'password'")
        for key, value in (("api_key", api_key), ("password", password)):
            if value is not None and not isinstance(value, str):
                raise self.fail(where, f"{key!r} must be a string")
        return User(name, tenant_id, api_key, password, role)

    def tenants_and_users(self, data: dict[str, Any]) -> tuple[list[str], list[User]]:
        tenants: list[str] = []
        users: list[User] = []
        for i, entry in enumerate(self.items(data, "tenants")):
            where = f"tenants[{i}]"
            if isinstance(entry, (str, int)) and not isinstance(entry, bool):
                entry = {"id": str(entry)}
            if not isinstance(entry, dict):
                raise self.fail(where, "must be an id or a mapping")
            tenant_id = self.text(entry, "id", where)
            tenants.append(tenant_id)
            for j, user in enumerate(self.items(entry, "users")):
                users.append(self.user(user, f"{where}.users[{j}]", tenant_id))
        for i, user in enumerate(self.items(data, "users")):
            parsed = self.user(user, f"users[{i}]", None)
            if parsed.tenant_id not in tenants:
                tenants.append(parsed.tenant_id)
            users.append(parsed)
        if len(set(tenants)) != len(tenants):
            raise self.fail("tenants", "tenant ids must be unique")
        names = [u.name for u in users]
        if len(set(names)) != len(names):
            raise self.fail("users", "user names must be unique")
        if not users:
            raise self.fail("tenants", "at least one user is required")
        return tenants, users

    def networks(
        self, data: dict[str, Any], region_zones: dict[str, tuple[str, ...]], tenants: list[str]
    ) -> list[IsolatedNetwork]:
        networks = []
        for i, entry in enumerate(self.items(data, "networks")):
            where = f"networks[{i}]"
            if not isinstance(entry, dict):
                raise self.fail(where, "must be a mapping")
            name = self.text(entry, "name", where)
            tenant = self.text(entry, "tenant", where)
            region = self.text(entry, "region", where).upper()
            if tenant not in tenants:
                raise self.fail(where, f"unknown tenant {tenant!r}")
            if region not in region_zones:
                raise self.fail(where, f"unknown region {region!r}")
            net_id = entry.get("id") or derived_id("network", tenant, region, name)
            cidr = entry.get("cidr") or f"192.168.{i % 256}.0/24"
            cidr6 = entry.get("cidr6")
            for key, value, version in (("cidr", cidr, 4), ("cidr6", cidr6, 6)):
                if value is None:
                    continue
                try:
                    net = ipaddress.ip_network(value)
                except (TypeError, ValueError) as exc:
                    raise self.fail(where, f"{key!r} is not a network: {exc}") from exc
                if net.version != version or net.num_addresses < 4:
                    raise self.fail(
                        where, f"{key!r} must be an IPv{version} network of 4+ addresses"
                    )
            networks.append(IsolatedNetwork(str(net_id), name, tenant, region, cidr, cidr6))
        if len({n.id for n in networks}) != len(networks):
            raise self.fail("networks", "network ids must be unique")
        return networks

    def servers(
        self,
        data: dict[str, Any],
        region_zones: dict[str, tuple[str, ...]],
        tenants: list[str],
        networks: list[IsolatedNetwork],
    ) -> list[Server]:
        servers: list[Server] = []
        for i, entry in enumerate(self.items(data, "servers")):
            where = f"servers[{i}]"
            if not isinstance(entry, dict):
                raise self.fail(where, "must be a mapping")
            tenant = self.text(entry, "tenant", where)
            region = self.text(entry, "region", where, default=next(iter(region_zones))).upper()
            if tenant not in tenants:
                raise self.fail(where, f"unknown tenant {tenant!r}")
            if region not in region_zones:
                raise self.fail(where, f"unknown region {region!r}")
            zone = self.text(entry, "zone", where, default=region_zones[region][0])
            if zone not in region_zones[region]:
                raise self.fail(where, f"zone {zone!r} is not a zone of {region}")
            net_ids = self.server_networks(entry, where, tenant, region, networks)
            if "count" in entry:
                count = entry["count"]
                if (
                    not isinstance(count, int)
                    or isinstance(count, bool)
                    or not 0 <= count <= 100_000
                ):
                    raise self.fail(where, "'count' must be an integer 0..100000")
                prefix = self.text(entry, "name_prefix", where, default="server-")
                start = entry.get("start", 1)
                if not isinstance(start, int):
                    raise self.fail(where, "'start' must be an integer")
                for n in range(start, start + count):
                    name = f"{prefix}{n}"
                    sid = derived_id("server", tenant, region, name)
                    servers.append(Server(sid, name, tenant, region, zone, net_ids))
            else:
                name = self.text(entry, "name", where)
                sid = str(entry.get("id") or derived_id("server", tenant, region, name))
                servers.append(Server(sid, name, tenant, region, zone, net_ids))
        if len({s.id for s in servers}) != len(servers):
            raise self.fail("servers", "server ids must be unique")
        return servers

    def server_networks(
        self,
        entry: dict[str, Any],
        where: str,
        tenant: str,
        region: str,
        networks: list[IsolatedNetwork],
    ) -> tuple[str, ...]:
        wanted = entry.get("networks", ["PublicNet", "ServiceNet"])
        if not isinstance(wanted, list):
            raise self.fail(where, "'networks' must be a list")
        aliases = {"publicnet": PUBLICNET_ID, "public": PUBLICNET_ID}
        aliases |= {"servicenet": SERVICENET_ID, "private": SERVICENET_ID}
        ids = []
        for ref in wanted:
            if not isinstance(ref, str):
                raise self.fail(where, "'networks' entries must be strings")
            if ref.lower() in aliases:
                ids.append(aliases[ref.lower()])
                continue
            if ref in (PUBLICNET_ID, SERVICENET_ID):
                ids.append(ref)
                continue
            match = [
                n
                for n in networks
                if (ref in (n.id, n.name)) and n.tenant_id == tenant and n.region == region
            ]
            if not match:
                raise self.fail(where, f"network {ref!r} is not a network of {tenant} in {region}")
            ids.append(match[0].id)
        return tuple(ids)

    def quotas(self, data: dict[str, Any]) -> tuple[dict[str, int | None], dict[str, int | None]]:
        given = data.get("quotas") or {}
        if not isinstance(given, dict):
            raise self.fail("quotas", "must be a mapping")
        result: list[dict[str, int | None]] = []
        for key, defaults in DEFAULT_QUOTAS.items():
            table = dict(defaults)
            overrides = given.get(key) or {}
            if not isinstance(overrides, dict):
                raise self.fail(f"quotas.{key}", "must be a mapping")
            for kind, value in overrides.items():
                if kind not in NETWORK_KINDS:
                    raise self.fail(f"quotas.{key}", f"keys are {', '.join(NETWORK_KINDS)}")
                if value is not None and (
                    not isinstance(value, int) or isinstance(value, bool) or value < 0
                ):
                    raise self.fail(
                        f"quotas.{key}.{kind}", "must be a non-negative integer or null"
                    )
                table[kind] = value
            result.append(table)
        return result[0], result[1]
