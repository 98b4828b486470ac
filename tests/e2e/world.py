"""The sandbox world the end-to-end tests run in: ids from the default seed, and larger seeds."""

from __future__ import annotations

from pathlib import Path

import yaml

from sandbox.seed import default_seed_text
from tests.support.acceptance import PUBLICNET, TENANT

__all__ = ["PUBLICNET", "TENANT"]  # re-exported for the tests

WEB = [f"a1000000-0000-4000-8000-00000000000{n}" for n in range(1, 5)]
DB_1 = "b1000000-0000-4000-8000-000000000001"  # dfw-zone-b: another public IP zone
ORD_SERVER = "c1000000-0000-4000-8000-000000000001"
FOREIGN_SERVER = "f1000000-0000-4000-8000-000000000001"  # tenant 654321
FOREIGN_TENANT = "654321"
ISOLATED_NET = "5ea1c0de-0000-4000-8000-000000000001"
UNKNOWN_SERVER = "a1000000-0000-4000-8000-0000000000ff"

API_KEY = "sandbox-demo-key"
PASSWORD = "sandbox-demo-password"


def many_web_servers(count: int) -> list[str]:
    """Ids of web-1 .. web-`count` in the seed written by `write_seed_with_web_servers`."""
    return [f"a1000000-0000-4000-8000-{n:012d}" for n in range(1, count + 1)]


def write_seed_with_web_servers(path: Path, count: int, *, foreign: int = 1) -> Path:
    """The default seed with `count` web servers in dfw-zone-a and `foreign` servers of tenant
    654321 (same zone), and room for that many IPs on a port."""
    seed = yaml.safe_load(default_seed_text())
    kept = [s for s in seed["servers"] if not s["name"].startswith(("web-", "foreign-"))]
    web = [
        {
            "id": server_id,
            "name": f"web-{n}",
            "tenant": TENANT,
            "region": "DFW",
            "zone": "dfw-zone-a",
            "networks": ["PublicNet", "ServiceNet", "private-net"],
        }
        for n, server_id in enumerate(many_web_servers(count), start=1)
    ]
    others = [
        {
            "id": f"f1000000-0000-4000-8000-{n:012d}",
            "name": f"foreign-{n}",
            "tenant": FOREIGN_TENANT,
            "region": "DFW",
            "zone": "dfw-zone-a",
        }
        for n in range(1, foreign + 1)
    ]
    seed["servers"] = web + kept + others
    path.write_text(yaml.safe_dump(seed, sort_keys=False))
    return path


def shared_ip_config(servers: list[str], network: str) -> str:
    """One IP on the servers' ports on `network`, with an association per server."""
    names = ", ".join(f'"{s}"' for s in servers)
    return f"""
locals {{
  network = "{network}"
  servers = [{names}]
}}

data "rackspace_ports" "web" {{
  for_each   = toset(local.servers)
  server_id  = each.key
  network_id = local.network
}}

resource "rackspace_ip_address" "shared" {{
  network_id = local.network
  port_ids   = flatten([for p in data.rackspace_ports.web : p.ids])
}}

resource "rackspace_server_ip_association" "web" {{
  for_each      = toset(local.servers)
  server_id     = each.key
  ip_address_id = rackspace_ip_address.shared.id
}}
"""
