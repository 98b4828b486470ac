"""go-plugin's handshake: the magic cookie, protocol negotiation and the stdout line.

Terraform starts the provider with `TF_PLUGIN_MAGIC_COOKIE` and `PLUGIN_PROTOCOL_VERSIONS`
set, then reads exactly one line from stdout:
`1|<protocol>|<unix|tcp>|<address>|grpc|<server certificate, unpadded base64 DER>`.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping

__all__ = [
    "FORCE_VERSION_ENV",
    "MAGIC_COOKIE_KEY",
    "MAGIC_COOKIE_VALUE",
    "SUPPORTED_VERSIONS",
    "HandshakeError",
    "handshake_line",
    "has_magic_cookie",
    "negotiate",
    "offered_versions",
]

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
# Testing knob: serve this protocol version even when Terraform offers a newer one.
FORCE_VERSION_ENV = "PLUGIN_FORCE_PROTOCOL_VERSION"
SUPPORTED_VERSIONS = (6, 5)
CORE_PROTOCOL_VERSION = 1


class HandshakeError(Exception):
    """The plugin cannot agree on a protocol with its caller."""


def has_magic_cookie(environ: Mapping[str, str] | None = None) -> bool:
    """True when the process was started by Terraform (or something that speaks for it)."""
    env = os.environ if environ is None else environ
    return env.get(MAGIC_COOKIE_KEY) == MAGIC_COOKIE_VALUE


def offered_versions(environ: Mapping[str, str] | None = None) -> list[int]:
    """The protocol versions the caller offers in `PLUGIN_PROTOCOL_VERSIONS` (maybe none)."""
    env = os.environ if environ is None else environ
    versions = []
    for part in env.get("PLUGIN_PROTOCOL_VERSIONS", "").split(","):
        part = part.strip()
        if part.isdigit():
            versions.append(int(part))
    return versions


def negotiate(
    environ: Mapping[str, str] | None = None, supported: Iterable[int] = SUPPORTED_VERSIONS
) -> int:
    """The protocol version to serve: the highest one both sides speak.

    Without `PLUGIN_PROTOCOL_VERSIONS` (a reattach/debug launch) the newest supported version
    is used. `PLUGIN_FORCE_PROTOCOL_VERSION` narrows the choice to one version.
    """
    env = os.environ if environ is None else environ
    ours = sorted(set(supported), reverse=True)
    forced = env.get(FORCE_VERSION_ENV, "").strip()
    if forced:
        if not forced.isdigit() or int(forced) not in ours:
            raise HandshakeError(
                f"{FORCE_VERSION_ENV}={forced} is not a supported protocol version "
                f"({', '.join(map(str, ours))})"
            )
        ours = [int(forced)]
    offered = offered_versions(env)
    if not offered:
        return ours[0]
    for version in ours:
        if version in offered:
            return version
    raise HandshakeError(
        f"no common plugin protocol version: Terraform offers {sorted(offered)}, this "
        f"provider speaks {ours}. Use a Terraform version that supports protocol "
        f"{' or '.join(map(str, ours))}."
    )


def handshake_line(version: int, network: str, address: str, cert_der: bytes | None) -> str:
    """The line Terraform reads from stdout (without the newline)."""
    # go-plugin decodes the certificate with unpadded standard base64; padding breaks it.
    cert = base64.b64encode(cert_der).decode().rstrip("=") if cert_der else ""
    return f"{CORE_PROTOCOL_VERSION}|{version}|{network}|{address}|grpc|{cert}"
