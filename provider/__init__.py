"""terraform-provider-rackspace: a Terraform provider for Rackspace Cloud shared IPs.

`__version__` is the one place the version is written: pyproject.toml reads it, and the
installed launcher compares it with its own so that an upgraded environment is never served
under an older version's name.
"""

__version__ = "0.1.0"
