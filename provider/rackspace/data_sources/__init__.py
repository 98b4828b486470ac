"""Data sources of the Rackspace provider (one module per data source type)."""
