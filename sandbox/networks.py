"""Cloud Networks: ``networks``, ``ports`` and ``ip_addresses`` (no tenant in the path)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, g, request

from sandbox import inventory, sharedips
from sandbox.context import caller, json_body, json_response, no_content, runtime
from sandbox.errors import ApiError
from sandbox.requestlog import DROP_KEY

bp = Blueprint("networks", __name__, url_prefix="/<region>/networks/v2.0")

PORT_FILTERS = ("id", "device_id", "network_id", "name", "mac_address", "device_owner", "status")


@bp.get("/networks")
def list_networks(region: str) -> Response:
    """PublicNet, ServiceNet and the tenant's isolated networks in this region."""
    with runtime().store.tx() as db:
        rows = inventory.visible_networks(db, g.region, caller().tenant_id)
        views = [inventory.network_view(db, r) for r in rows]
    wanted = {k: request.args.getlist(k) for k in ("id", "name") if k in request.args}
    views = [v for v in views if all(v[k] in vals for k, vals in wanted.items())]
    return json_response({"networks": views})


@bp.get("/networks/<net_id>")
def show_network(region: str, net_id: str) -> Response:
    """One network visible to the tenant."""
    with runtime().store.tx() as db:
        row = inventory.visible_network(db, g.region, caller().tenant_id, net_id)
        if row is None:
            raise ApiError(404, f"Network {net_id} could not be found.", type="NetworkNotFound")
        return json_response({"network": inventory.network_view(db, row)})


@bp.get("/ports")
def list_ports(region: str) -> Response:
    """The tenant's ports; filters ``device_id``, ``network_id`` (and other attributes)."""
    with runtime().store.tx() as db:
        rows = inventory.tenant_ports(db, g.region, caller().tenant_id)
        views = inventory.port_views(db, rows)
    wanted = {k: request.args.getlist(k) for k in PORT_FILTERS if k in request.args}
    views = [v for v in views if all(v[k] in vals for k, vals in wanted.items())]
    return json_response({"ports": views})


@bp.get("/ports/<port_id>")
def show_port(region: str, port_id: str) -> Response:
    """One of the tenant's ports."""
    with runtime().store.tx() as db:
        row = inventory.tenant_port(db, g.region, caller().tenant_id, port_id)
        if row is None:
            raise ApiError(404, f"Port {port_id} could not be found.", type="PortNotFound")
        return json_response({"port": inventory.port_views(db, [row])[0]})


# Query parameters that steer pagination rather than filter.
PAGING_PARAMS = ("limit", "marker", "page_reverse")


@bp.get("/ip_addresses")
def list_ip_addresses(region: str) -> Response:
    """Fixed and shared IPs of the tenant, filtered (research §5.1).

    Like quark, ``limit`` and ``marker`` are ignored and everything comes in one answer,
    unless the ``paginate_ip_addresses`` setting is on: then pages follow Neutron's general
    rules (at most 100 items, ``ip_addresses_links`` with ``next`` while more follow and
    ``previous`` after the first page).
    """
    filters = {k: request.args.getlist(k) for k in request.args if k not in PAGING_PARAMS}
    rt = runtime()
    with rt.store.tx() as db:
        views = sharedips.list_ips(db, g.region, caller().tenant_id, filters)
        if not rt.traffic.settings.paginate_ip_addresses:
            return json_response({"ip_addresses": views})
        marker = request.args.get("marker")
        page, more = sharedips.paginate(
            db, g.region, caller().tenant_id, views, request.args.get("limit"), marker
        )
    links = []
    if more:
        links.append({"rel": "next", "href": _page_href(page[-1]["id"], len(page))})
    if marker and page:
        links.append(
            {"rel": "previous", "href": _page_href(page[0]["id"], len(page), reverse=True)}
        )
    body: dict[str, object] = {"ip_addresses": page}
    if links:
        body["ip_addresses_links"] = links
    return json_response(body)


def _page_href(marker: str, limit: int, *, reverse: bool = False) -> str:
    """This request's URL with its filters, for the page next to ``marker``."""
    query = [(k, v) for k, vals in request.args.lists() if k not in PAGING_PARAMS for v in vals]
    query += [("limit", str(limit)), ("marker", marker)]
    if reverse:
        query.append(("page_reverse", "True"))
    return f"{request.base_url}?{urlencode(query)}"


@bp.post("/ip_addresses")
def create_ip_address(region: str) -> Response:
    """Provision a shared IP on two or more ports: 201."""
    caller().require("create")
    body = json_body()
    rt = runtime()
    with rt.store.tx() as db:
        view = sharedips.create_ip(db, g.region, caller().tenant_id, body)
    if rt.traffic.take_drop_after_commit():
        request.environ[DROP_KEY] = True
    return json_response({"ip_address": view}, 201)


@bp.get("/ip_addresses/<ip_id>")
def show_ip_address(region: str, ip_id: str) -> Response:
    """One IP; 404 for unknown, foreign or de-allocated ids."""
    with runtime().store.tx() as db:
        return json_response(
            {"ip_address": sharedips.show_ip(db, g.region, caller().tenant_id, ip_id)}
        )


@bp.put("/ip_addresses/<ip_id>")
def update_ip_address(region: str, ip_id: str) -> Response:
    """Replace the IP's port list: 200."""
    caller().require("update")
    body = json_body()
    with runtime().store.tx() as db:
        view = sharedips.update_ip(db, g.region, caller().tenant_id, ip_id, body)
    return json_response({"ip_address": view})


@bp.delete("/ip_addresses/<ip_id>")
def delete_ip_address(region: str, ip_id: str) -> Response:
    """De-allocate: 204, or 400 ``PortRequiresDisassociation`` while associated."""
    caller().require("delete")
    with runtime().store.tx() as db:
        sharedips.delete_ip(db, g.region, caller().tenant_id, ip_id)
    return no_content()
