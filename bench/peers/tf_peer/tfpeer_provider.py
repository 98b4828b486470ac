"""The nearest Python peer: a minimal provider written with hfern/tf (PyPI ``tf==1.2.0``).

It runs in its own virtualenv (``bench/.venv-tf``, because ``tf`` needs protobuf < 6) and is
launched by Terraform through the bench's plugin mirror. One resource, ``tfpeer_thing``, holds
a required ``name`` and a computed ``id``; like ``null_resource`` it calls no API, so what is
measured is the framework's own cost per launch and per RPC.
"""

from __future__ import annotations

import uuid

from tf import schema, types
from tf.iface import (
    Config,
    CreateContext,
    DeleteContext,
    Provider,
    ReadContext,
    Resource,
    State,
    UpdateContext,
)
from tf.runner import run_provider
from tf.utils import Diagnostics

SOURCE_ADDRESS = "bench.local/bench/tfpeer"


class Thing(Resource):
    """A named thing with a random id, kept only in Terraform's state."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    @classmethod
    def get_name(cls) -> str:
        return "thing"

    @classmethod
    def get_schema(cls) -> schema.Schema:
        return schema.Schema(
            attributes=[
                schema.Attribute("id", types.String(), computed=True),
                schema.Attribute("name", types.String(), required=True, requires_replace=True),
            ]
        )

    def create(self, ctx: CreateContext, planned: State) -> State:
        return {**planned, "id": uuid.uuid4().hex}

    def read(self, ctx: ReadContext, current: State) -> State:
        return current

    def update(self, ctx: UpdateContext, current: State, planned: State) -> State:
        return {**planned, "id": current["id"]}

    def delete(self, ctx: DeleteContext, current: State) -> None:
        return None


class TfPeerProvider(Provider):
    """Provider ``tfpeer``: no configuration, one resource."""

    def get_model_prefix(self) -> str:
        return "tfpeer_"

    def full_name(self) -> str:
        return SOURCE_ADDRESS

    def get_provider_schema(self, diags: Diagnostics) -> schema.Schema:
        return schema.Schema(attributes=[])

    def validate_config(self, diags: Diagnostics, config: Config) -> None:
        return None

    def configure_provider(self, diags: Diagnostics, config: Config) -> None:
        return None

    def get_data_sources(self) -> list:
        return []

    def get_resources(self) -> list:
        return [Thing]


if __name__ == "__main__":
    run_provider(TfPeerProvider())
