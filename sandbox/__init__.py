"""A local emulator of the Rackspace Identity v2.0, Cloud Networks and Cloud Servers APIs.

The sandbox implements the shared-IP surface described in
``research/rackspace-shared-ip-api.md`` (``ip_addresses`` and ``ip_associations``) plus the
identity, network, port and server calls needed around it, persisted in SQLite. It is an
independent implementation: nothing here imports the provider's API client.

Run it with ``rackspace-sandbox serve``; see :mod:`sandbox.cli`.
"""

__all__ = ["DEFAULT_PORT"]

#: The port ``rackspace-sandbox serve`` binds when ``--port`` is not given.
DEFAULT_PORT = 8900
