"""`api.verified_create` on its own: the outcomes of a create whose answer is lost, as typed
results a caller turns into diagnostics (the resource's tests cover those diagnostics)."""

from __future__ import annotations

import logging
import threading

import pytest

from provider.plugin.context import cancellation_scope
from provider.rackspace.api import verified_create
from provider.rackspace.api.errors import AmbiguousOutcome, PortsNotFound
from provider.rackspace.api.ids import api_key
from provider.rackspace.api.verified_create import (
    CreateTarget,
    CreateUnresolved,
    NothingCreated,
    create_shared_ip,
    settle_create,
)

from .fakes import PUBLICNET, FakeClient, FakeCloud

S1 = "5e4a8b0c-0000-4000-8000-000000000001"
S2 = "5e4a8b0c-0000-4000-8000-000000000002"
LOG = logging.getLogger("test")


@pytest.fixture
def cloud() -> FakeCloud:
    c = FakeCloud()
    c.ports_of = {s: c.add_server(s) for s in (S1, S2)}  # type: ignore[attr-defined]
    return c


def target(cloud: FakeCloud) -> CreateTarget:
    ports = frozenset(cloud.ports_of[s] for s in (S1, S2))  # type: ignore[attr-defined]
    return CreateTarget(network_id=PUBLICNET, port_ids=ports)


def test_the_key_is_one_target_in_any_letter_case() -> None:
    lower = CreateTarget(network_id=PUBLICNET, server_ids=frozenset({S1, S2}))
    upper = CreateTarget(network_id=PUBLICNET, server_ids=frozenset({S1.upper(), S2}))
    ports = CreateTarget(network_id=PUBLICNET, port_ids=frozenset({S1, S2}))
    assert api_key(lower.key) == api_key(upper.key)
    assert api_key(lower.key) != api_key(ports.key)


def test_a_created_ip_is_claimed_for_the_walk(cloud: FakeCloud) -> None:
    client = FakeClient(cloud)
    ip = create_shared_ip(client, target(cloud), LOG)
    assert client.coordination.claimed(verified_create.SHARED_IPS) == {ip["id"]}


def test_a_refusal_is_the_apis_typed_error(cloud: FakeCloud) -> None:
    missing = CreateTarget(network_id=PUBLICNET, port_ids=frozenset({"nope-1", "nope-2"}))
    with pytest.raises(PortsNotFound):
        create_shared_ip(FakeClient(cloud), missing, LOG)


def test_no_answer_and_no_ip_each_time_is_nothing_created(
    cloud: FakeCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verified_create, "DELAY", 0.01)
    cloud.create_outcome = "ambiguous-none"
    with pytest.raises(NothingCreated) as exc:
        create_shared_ip(FakeClient(cloud), target(cloud), LOG)
    assert isinstance(exc.value.cause, AmbiguousOutcome)
    sent = [c for c in cloud.calls if c[0] == "create_ip_address"]
    assert len(sent) == verified_create.ATTEMPTS and not cloud.ips


def test_stopping_ends_the_resends(cloud: FakeCloud) -> None:
    cloud.create_outcome = "ambiguous-none"
    stop = threading.Event()
    stop.set()
    with cancellation_scope(stop), pytest.raises(NothingCreated):
        create_shared_ip(FakeClient(cloud), target(cloud), LOG)
    assert len([c for c in cloud.calls if c[0] == "create_ip_address"]) == 1


class LookupDown(FakeCloud):
    """The POST commits without an answer, then listings fail while `down`."""

    down = False

    def list_ip_addresses(self, **filters):  # type: ignore[no-untyped-def]
        if self.down:
            raise AmbiguousOutcome("no answer", method="GET", url="/ip_addresses")
        return super().list_ip_addresses(**filters)

    def create_ip_address(self, **kw):  # type: ignore[no-untyped-def]
        try:
            return super().create_ip_address(**kw)
        finally:
            self.down = True


def test_unresolved_then_settled_by_the_next_walk() -> None:
    cloud = LookupDown()
    cloud.ports_of = {s: cloud.add_server(s) for s in (S1, S2)}  # type: ignore[attr-defined]
    cloud.create_outcome = "ambiguous-created"
    with pytest.raises(CreateUnresolved) as exc:
        create_shared_ip(FakeClient(cloud), target(cloud), LOG)
    [made] = cloud.ips
    assert made not in exc.value.pending["before"]
    cloud.down = False
    settled = settle_create(FakeClient(cloud).next_walk(), target(cloud), exc.value.pending)
    assert settled is not None and settled["id"] == made
