"""Managed resources of the Rackspace provider (one module per resource type)."""
