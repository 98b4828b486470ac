"""Who may talk to the sandbox: loopback callers, by a loopback name, not from a web page.

The sandbox listens on 127.0.0.1 and its admin path needs no token, so the threats are a
web page in the developer's browser (a cross-origin simple POST to ``/__sandbox__/reset``)
and DNS rebinding (a page whose own host name is made to resolve to 127.0.0.1, so the
browser sends ``Host: evil.example``). Local development servers (Django's
``ALLOWED_HOSTS``, Vite's ``server.allowedHosts``) answer both the same way: refuse a
``Host`` that is not a loopback name or address or the configured one, and refuse a browser
request whose ``Origin`` is not the server's own.
"""

from __future__ import annotations

import ipaddress

__all__ = ["foreign_origin", "host_allowed", "is_loopback"]

#: ``--host`` values that mean "every interface": then any IP literal is a fine ``Host``.
WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})


def is_loopback(addr: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4 loopback seen through a dual-stack socket.

    A socket bound to ``::`` reports IPv4 callers as ``::ffff:127.0.0.1``, which
    ``ipaddress`` does not call loopback by itself.
    """
    if not addr:
        return False
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _hostname(host_header: str) -> str:
    """The name or address in a ``Host`` header, without port, brackets or trailing dot."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [v6]:port
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def host_allowed(host_header: str | None, bind_host: str) -> bool:
    """May a request with this ``Host`` header be answered by a sandbox bound to ``bind_host``?

    Allowed: no header (not a browser), ``localhost`` and ``*.localhost``, loopback
    addresses, the ``--host`` value itself, and any IP literal when bound to every
    interface (DNS rebinding needs a name; a literal address cannot be rebound).
    """
    if host_header is None:
        return True
    name = _hostname(host_header)
    if name == "localhost" or name.endswith(".localhost") or is_loopback(name):
        return True
    bound = _hostname(bind_host) if bind_host not in WILDCARDS else ""
    if bound and name == bound:
        return True
    if bind_host in WILDCARDS and _ip(name) is not None:
        return True
    # Two spellings of one address (``::1`` and ``0:0::1``) are one host.
    return bool(bound) and _ip(name) is not None and _ip(bound) == _ip(name)


def foreign_origin(origin: str | None, fetch_site: str | None, host_header: str | None) -> bool:
    """True when a browser sent this request from a page of another origin.

    ``Origin`` is sent by browsers with every cross-origin request and every POST; it must be
    this server's own ``http://<Host>``. ``Sec-Fetch-Site`` (sent by current browsers even
    where ``Origin`` is not) must not say ``cross-site`` or ``same-site``.
    """
    if fetch_site is not None and fetch_site.strip().lower() in ("cross-site", "same-site"):
        return True
    if origin is None:
        return False
    if host_header is None:
        return True  # "null" and every other origin: nothing to be the same as
    return origin.strip().lower().rstrip("/") != f"http://{host_header.strip().lower()}"
