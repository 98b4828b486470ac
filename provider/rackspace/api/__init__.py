"""Rackspace API client: identity, Cloud Networks and Cloud Servers.

Importing this package is cheap; the HTTP stack (urllib3) is only imported when a client is
built (`provider.rackspace.api.client.connect`), which happens once the provider is configured.
"""
