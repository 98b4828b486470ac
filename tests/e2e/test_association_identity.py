"""One association `(server, IP)` reached by several resource instances or workspaces.

Issue 12, faults 1 and 2 (cases `cbd-association-replace` and `duplicate-association-adopted`):
an apply never ends with state claiming an association the API lost, and an association the API
already held is never taken over silently (a warning names it and the ways out).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.support.acceptance import (
    VERSIONS_TF,
    CaseResult,
    Step,
    StepContext,
    assert_no_traceback,
    output_of,
)
from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, TerraformRunner, binary_params

from .world import PUBLICNET, WEB

pytestmark = pytest.mark.e2e


def by_server_config(keys: dict[str, str], *, cbd: bool = False, extra: str = "") -> str:
    """A shared IP on web-1 and web-2 by server id, one association per entry of `keys`."""
    lifecycle = "\n  lifecycle {\n    create_before_destroy = true\n  }\n" if cbd else ""
    return f"""
locals {{
  web = {json.dumps(keys)}
}}

resource "rackspace_ip_address" "shared" {{
  network_id = "{PUBLICNET}"
  server_ids = ["{WEB[0]}", "{WEB[1]}"]
}}

resource "rackspace_server_ip_association" "web" {{
  for_each      = local.web
  server_id     = each.value
  ip_address_id = rackspace_ip_address.shared.id
{lifecycle}}}
{extra}
output "ip_id" {{
  value = rackspace_ip_address.shared.id
}}
"""


TWO = {"web-1": WEB[0], "web-2": WEB[1]}


def ip_id(ctx: StepContext) -> str:
    return ctx.resource("rackspace_ip_address.shared")["id"]


def check_consistent(ctx: StepContext) -> None:
    """The API holds exactly the associations (and the IP) that state holds."""
    ctx.assert_sandbox_matches_state()


def associations_of_state(ctx: StepContext) -> set[tuple[str, str]]:
    return {
        (v["server_id"], v["ip_address_id"])
        for a, v in ctx.resources().items()
        if ".rackspace_server_ip_association." in f".{a}"
    }


# ------------------------------------------------------------------ fault 1


def replace_with_cbd(ctx: StepContext) -> None:
    """`apply -replace` of a create_before_destroy association: the new instance takes the
    association over, and the deposed instance's destroy leaves it in place."""
    result = ctx.runner.apply('-replace=rackspace_server_ip_association.web["web-1"]')
    assert_no_traceback(result)
    out = output_of(result)
    assert result.ok, out
    assert "1 added, 0 changed, 1 destroyed" in out, out
    assert "Warning: Association already existed" in out, out
    assert ctx.associations() == {(WEB[0], ip_id(ctx)), (WEB[1], ip_id(ctx))}
    writes = [
        (r["method"], r["status"])
        for r in ctx.sandbox.requests(ctx.since)
        if "/ip_associations/" in r["path"] and r["method"] in ("PUT", "DELETE")
    ]
    assert writes == [], writes  # found by the lookup: neither PUT nor DELETE was needed


@pytest.mark.parametrize("binary", binary_params())
def test_create_before_destroy_replacement_keeps_the_association(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    """Case `cbd-association-replace`: after the replacement the API still holds the
    association and the plan is empty."""
    case(
        binary,
        [
            Step(config=by_server_config(TWO, cbd=True), check=check_consistent),
            # `pre` runs the -replace; the step's own apply then has nothing to do.
            Step(pre=replace_with_cbd, check=check_consistent),
        ],
        sandbox=sandbox,
    )


def renamed_key_kept(ctx: StepContext) -> None:
    """After renaming web-1's key (no `moved` block), the old key's destroy and the new key's
    create ran in one apply, in whichever order, and the association survived."""
    assert ctx.associations() == {(WEB[0], ip_id(ctx)), (WEB[1], ip_id(ctx))}
    assert 'rackspace_server_ip_association.web["first"]' in ctx.resources()
    check_consistent(ctx)


@pytest.mark.parametrize("parallelism", ["1", "10"])
@pytest.mark.parametrize("binary", binary_params())
def test_renamed_for_each_key_keeps_the_association(
    binary: TerraformBinary,
    parallelism: str,
    sandbox: Sandbox,
    case: Callable[..., CaseResult],
) -> None:
    """A `for_each` key renamed without `moved`: one apply destroys the old instance and creates
    the new one for the same association, at any parallelism."""
    renamed = by_server_config({"first": WEB[0], "web-2": WEB[1]})
    env = {"TF_CLI_ARGS_apply": f"-parallelism={parallelism}"}
    case(
        binary,
        [
            Step(config=by_server_config(TWO)),
            Step(config=renamed, check=renamed_key_kept, env=env),
            Step(config=by_server_config(TWO), check=check_consistent, env=env),
        ],
        sandbox=sandbox,
    )


# ------------------------------------------------------------------ fault 2

TEAM_B = f"""
data "rackspace_ip_address" "vip" {{
  address = "@ADDRESS@"
}}

resource "rackspace_server_ip_association" "web1" {{
  server_id     = "{WEB[0]}"
  ip_address_id = data.rackspace_ip_address.vip.id
}}
"""


def team_b_declares_it_too(ctx: StepContext) -> None:
    """Case `duplicate-association-adopted`: a second workspace declares team A's association.
    Its apply warns, naming the association, the import command and the risk; its destroy
    then removes the association, as the warning said it would."""
    ip = ctx.resource("rackspace_ip_address.shared")
    team_b = TerraformRunner(
        ctx.binary,
        ctx.runner.workdir.parent / "team-b",
        ctx.runner.plugin_dir,
        env=ctx.runner.env,
        protocol=ctx.runner.protocol,
    )
    team_b.write("versions.tf", VERSIONS_TF)
    team_b.write("main.tf", TEAM_B.replace("@ADDRESS@", ip["address"]))
    team_b.init().check()
    result = team_b.apply()
    assert_no_traceback(result)
    out = output_of(result)
    assert result.ok, out
    assert "Warning: Association already existed" in out, out
    assert f"Server {WEB[0]} was already explicitly associated with shared IP {ip['id']}" in out
    assert f"terraform import rackspace_server_ip_association.<name> {WEB[0]}/{ip['id']}" in out
    assert "destroying it will remove it for everyone" in out, out
    assert "terraform state rm" in out and "moved" in out, out
    # What the warning tells team B to do when team A owns it: let go, then destroy.
    team_b.run("state", "rm", "rackspace_server_ip_association.web1").check()
    assert team_b.destroy().ok
    assert ctx.associations() == {(WEB[0], ip["id"]), (WEB[1], ip["id"])}
    team_b.cleanup()


@pytest.mark.parametrize("binary", binary_params())
def test_association_of_another_workspace_is_reported(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    case(
        binary,
        [Step(config=by_server_config(TWO), check=team_b_declares_it_too)],
        sandbox=sandbox,
    )


def associate_out_of_band(ctx: StepContext) -> None:
    """An operator associates web-3 with the IP behind Terraform's back."""
    status, _ = ctx.api("PUT", "servers", f"/servers/{WEB[2]}/ip_associations/{ip_id(ctx)}")
    assert status == 201


THREE_SERVERS = by_server_config(TWO).replace(
    f'server_ids = ["{WEB[0]}", "{WEB[1]}"]', f'server_ids = ["{WEB[0]}", "{WEB[1]}", "{WEB[2]}"]'
)
THREE_ASSOCIATED = THREE_SERVERS.replace(json.dumps(TWO), json.dumps({**TWO, "web-3": WEB[2]}))


def reported_then_managed(ctx: StepContext) -> None:
    out = ctx.output()
    ip = ip_id(ctx)
    assert "Warning: Association already existed" in out, out
    assert f"terraform import rackspace_server_ip_association.<name> {WEB[2]}/{ip}" in out, out
    assert 'rackspace_server_ip_association.web["web-3"]' in ctx.resources()
    # found by the lookup: no PUT was sent for it
    assert not [r for r in ctx.writes() if WEB[2] in r["path"]], ctx.writes()
    check_consistent(ctx)


@pytest.mark.parametrize("binary", binary_params())
def test_association_made_behind_terraforms_back_is_reported(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    """An association an operator made is taken over with a warning, not silently; destroy
    then removes it with the rest."""
    case(
        binary,
        [
            Step(config=THREE_SERVERS),
            Step(pre=associate_out_of_band, config=THREE_ASSOCIATED, check=reported_then_managed),
        ],
        sandbox=sandbox,
    )


DUPLICATE = f"""
resource "rackspace_server_ip_association" "again" {{
  server_id     = "{WEB[0]}"
  ip_address_id = rackspace_ip_address.shared.id
}}
"""


def one_of_the_two_holds_it(ctx: StepContext) -> None:
    """Declared twice in one configuration: one instance creates it, the other fails; state
    names it once and the API holds it once."""
    assert "Error: Association declared twice" in ctx.output()
    pairs = [
        (v["server_id"], v["ip_address_id"])
        for a, v in ctx.resources().items()
        if a.startswith("rackspace_server_ip_association.")
    ]
    assert sorted(pairs).count((WEB[0], ip_id(ctx))) == 1, pairs
    assert ctx.associations() == set(pairs)


@pytest.mark.parametrize("binary", binary_params())
def test_association_declared_twice_in_one_configuration(
    binary: TerraformBinary, sandbox: Sandbox, case: Callable[..., CaseResult]
) -> None:
    """The duplicate is refused; removing it converges whichever of the two got it (when the
    duplicate got it, that apply destroys it and creates the other: the same association)."""
    case(
        binary,
        [
            Step(
                config=by_server_config(TWO, extra=DUPLICATE),
                expect_error="Association declared twice",
                check=one_of_the_two_holds_it,
            ),
            Step(config=by_server_config(TWO), check=check_consistent),
        ],
        sandbox=sandbox,
    )
