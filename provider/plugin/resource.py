"""The base classes provider code subclasses: `Provider`, `Resource` and `DataSource`.

Values in and out are plain Python values (see `provider.plugin.values`); a state, config or
plan is a `dict` holding every attribute and block of the schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from provider.plugin.context import Context
from provider.plugin.diagnostics import ProviderError
from provider.plugin.schema import Schema

__all__ = ["ClientT", "DataSource", "Provider", "Resource"]

# The type of what `Provider.configure` returns; a provider names it once per class
# (`class Server(Resource[MyClient])`), so `self.client.<call>` is checked by a type checker.
ClientT = TypeVar("ClientT")


class Resource(Generic[ClientT]):
    """A managed resource type. Subclasses set `type_name`, `schema` and the CRUD methods.

    `self.client` is what the provider's `configure` returned (typed `ClientT`). Calls through
    it need no cancellation argument: the SDK makes the RPC's cancellation event available to
    the code under it (`provider.plugin.context.current_cancellation()`).
    """

    type_name: ClassVar[str]
    schema: ClassVar[Schema]

    def __init__(self, client: ClientT) -> None:
        self.client: ClientT = client

    def validate(self, config: dict[str, Any], ctx: Context) -> None:
        """Check a configuration beyond the schema's validators (values may be Unknown)."""

    def modify_plan(
        self,
        prior: dict[str, Any] | None,
        planned: dict[str, Any],
        config: dict[str, Any],
        ctx: Context,
    ) -> dict[str, Any]:
        """Adjust the plan after the schema's rules ran; `prior` is None on create."""
        return planned

    def create(self, planned: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """Create the object and return its full state (no Unknown left)."""
        raise NotImplementedError(f"{self.type_name} does not implement create")

    def read(self, state: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
        """Return the current state, or None when the object is gone."""
        raise NotImplementedError(f"{self.type_name} does not implement read")

    def update(
        self, prior: dict[str, Any], planned: dict[str, Any], ctx: Context
    ) -> dict[str, Any]:
        """Change the object in place and return its full new state."""
        raise ProviderError(
            f"{self.type_name} cannot be updated in place",
            "Every changeable argument of this resource should force a replacement; "
            "this is a bug in the provider.",
        )

    def delete(self, state: dict[str, Any], ctx: Context) -> None:
        """Delete the object (an already-missing object is success)."""
        raise NotImplementedError(f"{self.type_name} does not implement delete")

    def import_state(self, import_id: str, ctx: Context) -> dict[str, Any]:
        """Return a partial state for `import_id`; Terraform calls `read` next.

        The default sets the `id` attribute to the import id.
        """
        if "id" not in self.schema.attributes:
            raise ProviderError(f"{self.type_name} does not support import")
        return {"id": import_id}

    def upgrade_state(self, version: int, raw: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """Turn a state written by schema `version` into the current schema's shape."""
        raise ProviderError(
            f"Cannot upgrade {self.type_name} state from schema version {version}",
            f"This provider's schema version is {self.schema.version} and it has no "
            "upgrade from that version.",
        )


class DataSource(Generic[ClientT]):
    """A data source type. Subclasses set `type_name`, `schema` and `read`; `self.client` is
    typed `ClientT` as for `Resource`."""

    type_name: ClassVar[str]
    schema: ClassVar[Schema]

    def __init__(self, client: ClientT) -> None:
        self.client: ClientT = client

    def validate(self, config: dict[str, Any], ctx: Context) -> None:
        """Check a configuration beyond the schema's validators (values may be Unknown)."""

    def read(self, config: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """Return the full state for `config`."""
        raise NotImplementedError(f"{self.type_name} does not implement read")


class Provider:
    """A provider: its configuration schema, its types, and the hook that builds a client."""

    type_name: ClassVar[str]
    schema: ClassVar[Schema] = Schema()
    resources: ClassVar[Sequence[type[Resource[Any]]]] = ()
    data_sources: ClassVar[Sequence[type[DataSource[Any]]]] = ()

    def validate_config(self, config: dict[str, Any], ctx: Context) -> None:
        """Check the provider configuration beyond its schema (values may be Unknown)."""

    def configure(self, config: dict[str, Any], ctx: Context) -> Any:
        """Build and return the client handed to every resource and data source."""
        return None
