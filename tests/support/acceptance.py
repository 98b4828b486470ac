"""Acceptance harness: terraform-plugin-testing's step model over real Terraform and the sandbox.

A test is a list of `Step`s run by `run_case` in one working directory against one fresh
sandbox:

    run_case(binary, [
        Step(config=CONFIG, check=lambda ctx: ...),
        Step(import_address="rackspace_ip_address.shared", import_verify=True),
    ], protocol="6", sandbox=sb, plugin_dir=plugins, workdir=tmp_path / "case")

Each configuration step writes `main.tf` (next to a `versions.tf` that requires the provider),
runs `terraform init` once, then `apply` (or only `plan` for `plan_only` steps), hands a
`StepContext` with `terraform show -json` and the sandbox to `check`, and finally asserts that a
follow-up `plan -detailed-exitcode` is empty unless `expect_non_empty_plan` is set.

Import steps work on a scratch copy of the working directory, so the case's own state is not
touched (unless `import_persist` is set): the resource is removed from the copy's state,
imported there (CLI `terraform import`, or an `import` block on Terraform >= 1.5), and the
imported values are compared with the applied ones.

Whatever happens, the case ends with `terraform destroy` and a CheckDestroy against the
sandbox's own data: no shared IP and no association is left for the tenant.

Every Terraform command's output is also checked for a Python traceback, which must never reach
a user.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.sandbox import Sandbox
from tests.support.terraform import TerraformBinary, TerraformResult, TerraformRunner

TENANT = "123456"
REGION = "DFW"
PUBLICNET = "00000000-0000-0000-0000-000000000000"

VERSIONS_TF = """\
terraform {
  required_providers {
    rackspace = {
      source = "rackspace/rackspace"
    }
  }
}
"""

IMPORT_BLOCK_MIN_VERSION = (1, 5)
_BOX_DRAWING = re.compile(r"[│╷╵]")
_WHITESPACE = re.compile(r"\s+")
_TRACEBACK = "Traceback (most recent call last)"


def supports_import_block(binary: TerraformBinary) -> bool:
    """True when this Terraform understands `import {}` blocks."""
    return binary.version_tuple >= IMPORT_BLOCK_MIN_VERSION


def normalized(text: str) -> str:
    """Terraform output with the diagnostic box drawing removed and whitespace collapsed.

    Terraform wraps diagnostics at 78 columns when it is not on a terminal, so a message can be
    split anywhere; expectations are matched against this form instead.
    """
    return _WHITESPACE.sub(" ", _BOX_DRAWING.sub(" ", text)).strip()


def output_of(result: TerraformResult) -> str:
    """stdout and stderr of a command, normalized."""
    return normalized(result.stdout + "\n" + result.stderr)


def assert_no_traceback(result: TerraformResult) -> None:
    """A Python traceback must never reach a Terraform user."""
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert _TRACEBACK not in text, (
            f"a Python traceback reached the {stream} of terraform {' '.join(result.args)}:\n{text}"
        )


@dataclass
class StepContext:
    """What a `check` (or `pre`, or an import id function) gets to look at.

    `state` is `terraform show -json` of the case's working directory (an empty dict before
    anything was applied); `result` is the last Terraform command of the step; `since` is the
    sandbox request-log sequence number at the start of the step (after its `pre` hook).
    """

    runner: TerraformRunner
    sandbox: Sandbox
    binary: TerraformBinary
    step: int
    load_state: Callable[[], dict[str, Any]] = dict
    result: TerraformResult | None = None
    since: int = 0
    tenant: str = TENANT
    region: str = REGION

    # ---------------------------------------------------------------- Terraform state

    @functools.cached_property
    def state(self) -> dict[str, Any]:
        """`terraform show -json` (read on first use: each `show` starts the provider)."""
        return self.load_state()

    def resources(self, mode: str = "managed") -> dict[str, dict[str, Any]]:
        """Address -> attribute values of every resource in state (modules included)."""
        found: dict[str, dict[str, Any]] = {}
        stack = [self.state.get("values", {}).get("root_module", {})]
        while stack:
            module = stack.pop()
            for resource in module.get("resources", []):
                if resource.get("mode") == mode:
                    found[resource["address"]] = resource.get("values", {})
            stack.extend(module.get("child_modules", []))
        return found

    def resource(self, address: str) -> dict[str, Any]:
        """Attribute values of one managed resource; fails the test when it is not in state."""
        resources = self.resources()
        assert address in resources, f"{address} is not in state; state holds {sorted(resources)}"
        return resources[address]

    def data(self, address: str) -> dict[str, Any]:
        """Attribute values of one data source (`data.` prefix optional)."""
        if not address.startswith("data.") and ".data." not in address:
            address = "data." + address
        resources = self.resources("data")
        assert address in resources, f"{address} is not in state; data: {sorted(resources)}"
        return resources[address]

    def outputs(self) -> dict[str, Any]:
        """Root module output values."""
        return {
            k: v.get("value") for k, v in self.state.get("values", {}).get("outputs", {}).items()
        }

    def output(self) -> str:
        """The last command's stdout and stderr, normalized (see `normalized`)."""
        return output_of(self.result) if self.result is not None else ""

    # ---------------------------------------------------------------- the sandbox's own data

    def world(self, tenant: str | None = None, region: str | None = None) -> dict[str, Any]:
        """The sandbox's servers, ports, IPs and associations of one tenant in one region."""
        tenants = self.sandbox.state()
        empty = {"servers": [], "ports": [], "ip_addresses": [], "associations": []}
        return tenants.get(tenant or self.tenant, {}).get(region or self.region, empty)

    def shared_ips(self, tenant: str | None = None, region: str | None = None) -> list[dict]:
        """IPs other than the servers' own fixed ones, as the sandbox holds them."""
        return [ip for ip in self.world(tenant, region)["ip_addresses"] if ip["type"] != "fixed"]

    def associations(self, tenant: str | None = None, region: str | None = None) -> set[tuple]:
        """(server_id, ip_address_id) of every explicit association the sandbox holds."""
        return {
            (a["server_id"], a["ip_address_id"]) for a in self.world(tenant, region)["associations"]
        }

    def ports_of(self, server_id: str, network_id: str = PUBLICNET) -> list[str]:
        """The sandbox's port ids of one server on one network."""
        return [
            p["id"]
            for p in self.world()["ports"]
            if p["device_id"] == server_id and p["network_id"] == network_id
        ]

    def requests(self, *, all_of_them: bool = False) -> list[dict[str, Any]]:
        """The sandbox request log (since the start of this step unless `all_of_them`)."""
        return self.sandbox.requests(0 if all_of_them else self.since)

    def assert_sandbox_matches_state(self) -> None:
        """Nothing exists in the sandbox that Terraform does not know about, and vice versa."""
        ips = {
            v["id"] for a, v in self.resources().items() if _type_of(a) == "rackspace_ip_address"
        }
        pairs = {
            (v["server_id"].lower(), v["ip_address_id"].lower())
            for a, v in self.resources().items()
            if _type_of(a) == "rackspace_server_ip_association"
        }
        assert {ip["id"] for ip in self.shared_ips()} == ips, (self.shared_ips(), ips)
        assert self.associations() == pairs, (self.associations(), pairs)

    def writes(self) -> list[dict[str, Any]]:
        """This step's POST / PUT / DELETE calls to the cloud APIs (logins left out)."""
        return [
            r
            for r in self.requests()
            if r["method"] in ("POST", "PUT", "DELETE") and not r["path"].endswith("/tokens")
        ]

    # ---------------------------------------------------------------- out-of-band API calls

    def api(
        self, method: str, service: str, path: str, body: Any = None, *, user: str = "demo"
    ) -> tuple[int, Any]:
        """Call the sandbox's API as a seed user, behind Terraform's back.

        `service` is "networks" (`/v2.0/...`) or "servers" (`/v2/{tenant}/...`); `path` follows.
        """
        base = {
            "networks": f"/{self.region.lower()}/networks/v2.0",
            "servers": f"/{self.region.lower()}/servers/v2/{self.tenant}",
        }[service]
        return self.sandbox.call(method, base + path, body, token=self.sandbox.token(user))


Check = Callable[[StepContext], None]


def _type_of(address: str) -> str:
    """`rackspace_ip_address` for `module.x.rackspace_ip_address.y["k"]`."""
    parts = address.split("[", 1)[0].split(".")
    return parts[-2]


@dataclass
class Step:
    """One step of an acceptance case (terraform-plugin-testing's `TestStep`).

    - `config`: the text of `main.tf`; `None` keeps the previous step's configuration.
    - `check`: called with a `StepContext` after the step; also after an expected error, so a
      test can assert that nothing was half-created.
    - `expect_error`: a regex that the failing command's normalized output must match; the
      command must fail.
    - `expect_non_empty_plan`: the plan after the apply (or the plan of a `plan_only` step) must
      show changes instead of none.
    - `plan_only`: run `plan` instead of `apply`.
    - `pre`: an out-of-band change made before the step (e.g. deleting through the API).
    - `env`: extra environment for this step's commands (e.g. wrong credentials).
    - `import_address` / `import_id` (a string or a function of the context; default: the
      resource's `id` in state) / `import_verify` / `import_verify_ignore` / `import_block`:
      an import step; see the module docstring. Its `config`, if any, is used for the import
      only (the case keeps its own configuration). `import_persist` imports into the case's own
      state instead of a scratch copy (then the plan must be empty), so later steps and the
      destroy work on imported state.
    """

    config: str | None = None
    check: Check | None = None
    expect_error: str | re.Pattern[str] | None = None
    expect_non_empty_plan: bool = False
    plan_only: bool = False
    pre: Check | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    import_address: str | None = None
    import_id: str | Callable[[StepContext], str] | None = None
    import_verify: bool = False
    import_verify_ignore: Sequence[str] = ()
    import_block: bool = False
    import_persist: bool = False


@dataclass
class CaseResult:
    """What a finished case leaves for the test to inspect further."""

    runner: TerraformRunner
    destroy: TerraformResult | None = None
    destroy_requests: list[dict[str, Any]] = field(default_factory=list)
    commands: list[TerraformResult] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)

    def timed(self, runner: TerraformRunner, *args: str, env: Mapping[str, str]) -> TerraformResult:
        """Run one command, remembering it, how long it took, and checking it for tracebacks."""
        started = time.monotonic()
        result = runner.run(*args, env=env)
        self.timings.append((" ".join(args[:2]), time.monotonic() - started))
        self.commands.append(result)
        assert_no_traceback(result)
        return result


class _Case:
    """The state of one running case."""

    def __init__(
        self,
        binary: TerraformBinary,
        sandbox: Sandbox,
        runner: TerraformRunner,
    ) -> None:
        self.binary = binary
        self.sandbox = sandbox
        self.runner = runner
        self.initialized = False
        self.shown: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}
        self.config: str | None = None
        self.result = CaseResult(runner)

    def run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        runner: TerraformRunner | None = None,
    ) -> TerraformResult:
        return self.result.timed(runner or self.runner, *args, env=env or {})

    def show(self, runner: TerraformRunner | None = None) -> dict[str, Any]:
        """`terraform show -json`, reused while the state file is unchanged."""
        runner = runner or self.runner
        path = runner.workdir / "terraform.tfstate"
        if not path.exists():
            return {}
        stat = path.stat()
        version = (stat.st_mtime_ns, stat.st_size)
        cached = self.shown.get(str(path))
        if cached is None or cached[0] != version:
            cached = (version, self.run("show", "-json", runner=runner).check().json())
            self.shown[str(path)] = cached
        return cached[1]

    def context(self, index: int, since: int) -> StepContext:
        return StepContext(self.runner, self.sandbox, self.binary, index, self.show, None, since)

    def last_seq(self) -> int:
        entries = self.sandbox.requests()
        return entries[-1]["seq"] if entries else 0

    # ---------------------------------------------------------------- steps

    def step(self, index: int, step: Step) -> None:
        if step.pre is not None:
            step.pre(self.context(index, self.last_seq()))
        # The step's requests are Terraform's own, not those of the out-of-band change.
        since = self.last_seq()
        if step.import_address is not None:
            self.import_step(index, step, since)
            return
        if step.config is not None:
            self.config = step.config
            self.runner.write("main.tf", step.config)
        if self.config is None:
            raise ValueError(f"step {index} has no configuration and no earlier step gave one")
        if not self.initialized:
            self.runner.write("versions.tf", VERSIONS_TF)
            self.run("init", "-no-color", "-input=false").check()
            self.initialized = True

        if step.plan_only:
            result = self.run(
                "plan", "-no-color", "-input=false", "-detailed-exitcode", env=step.env
            )
        else:
            result = self.run("apply", "-no-color", "-input=false", "-auto-approve", env=step.env)
        ctx = self.context(index, since)
        ctx.result = result

        if step.expect_error is not None:
            self.expect_failure(index, step, result)
            if step.check is not None:
                step.check(ctx)
            return
        if step.plan_only:
            self.expect_plan(index, result, non_empty=step.expect_non_empty_plan)
        else:
            assert result.ok, self.describe(index, "apply failed", result)
        if step.check is not None:
            step.check(ctx)
        if not step.plan_only:
            plan = self.run("plan", "-no-color", "-input=false", "-detailed-exitcode", env=step.env)
            self.expect_plan(index, plan, non_empty=step.expect_non_empty_plan)

    def expect_failure(self, index: int, step: Step, result: TerraformResult) -> None:
        assert not result.ok, self.describe(
            index, "expected an error, the command succeeded", result
        )
        pattern = step.expect_error
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(str(pattern))
        assert regex.search(output_of(result)), self.describe(
            index, f"the error output does not match {regex.pattern!r}", result
        )

    def expect_plan(self, index: int, result: TerraformResult, *, non_empty: bool) -> None:
        assert result.returncode in (0, 2), self.describe(index, "plan failed", result)
        if non_empty:
            assert result.returncode == 2, self.describe(
                index, "expected a non-empty plan, the plan is empty", result
            )
        else:
            assert result.returncode == 0, self.describe(
                index, "expected an empty plan after apply", result
            )

    def describe(self, index: int, what: str, result: TerraformResult) -> str:
        return (
            f"step {index} (terraform {self.binary.version}, {' '.join(result.args[:1])}): "
            f"{what}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )

    # ---------------------------------------------------------------- import steps

    def import_step(self, index: int, step: Step, since: int) -> None:
        address = step.import_address
        assert address is not None
        if not self.initialized:
            raise ValueError("an import step needs an earlier configuration step")
        ctx = self.context(index, since)
        applied = ctx.resources().get(address)
        if step.import_verify and applied is None:
            raise AssertionError(f"{address} is not in state: no applied values to verify against")
        if callable(step.import_id):
            import_id = step.import_id(ctx)
        else:
            import_id = step.import_id or (applied or {}).get("id")
        if not import_id:
            raise ValueError(f"step {index}: no import id for {address}")

        if step.import_persist and step.config is not None:
            raise ValueError("a persisted import uses the case's own configuration")
        scratch = self.runner if step.import_persist else self.scratch_copy(index)
        try:
            if step.config is not None:
                scratch.write("main.tf", step.config)
            if applied is not None:
                self.run("state", "rm", address, runner=scratch).check()
            if step.import_block:
                result = self.import_with_block(index, scratch, address, import_id, step.env)
            else:
                result = self.run(
                    "import", "-no-color", "-input=false", address, import_id,
                    env=step.env, runner=scratch,
                )  # fmt: skip
            ctx.result = result
            if step.expect_error is not None:
                self.expect_failure(index, step, result)
            else:
                assert result.ok, self.describe(index, f"import of {address} failed", result)
                imported = StepContext(
                    scratch, self.sandbox, self.binary, index, lambda: self.show(scratch)
                )
                ctx.state = imported.state
                if step.import_verify:
                    verify_import(address, applied, imported.resource(address), step)
                if step.import_persist:
                    # What a user does next: the imported resource must match its configuration.
                    plan = self.run("plan", "-no-color", "-input=false", "-detailed-exitcode")
                    self.expect_plan(index, plan, non_empty=False)
            if step.check is not None:
                step.check(ctx)
        finally:
            if scratch is self.runner:
                (scratch.workdir / "import.tf").unlink(missing_ok=True)
                (scratch.workdir / "import.tfplan").unlink(missing_ok=True)
            else:
                scratch.cleanup()

    def scratch_copy(self, index: int) -> TerraformRunner:
        """A copy of the working directory (configuration, providers, state) to import into."""
        target = self.runner.workdir.parent / f"{self.runner.workdir.name}-import-{index}"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.runner.workdir, target, symlinks=True)
        return TerraformRunner(
            self.runner.binary,
            target,
            self.runner.plugin_dir,
            env=self.runner.env,
            timeout=self.runner.timeout,
            protocol=self.runner.protocol,
        )

    def import_with_block(
        self,
        index: int,
        scratch: TerraformRunner,
        address: str,
        import_id: str,
        env: Mapping[str, str],
    ) -> TerraformResult:
        """Plan an `import {}` block (which must import and change nothing), then apply it."""
        if not supports_import_block(self.binary):
            raise ValueError(f"Terraform {self.binary.version} has no import blocks")
        scratch.write(
            "import.tf", f"import {{\n  to = {address}\n  id = {json.dumps(import_id)}\n}}\n"
        )
        plan = self.run(
            "plan", "-no-color", "-input=false", "-out=import.tfplan", env=env, runner=scratch
        )
        if not plan.ok:
            return plan
        # What a user reads: the import changes nothing, here or anywhere else.
        expected = "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."
        assert expected in plan.stdout, self.describe(index, f"expected {expected!r}", plan)
        return self.run(
            "apply", "-no-color", "-input=false", "import.tfplan", env=env, runner=scratch
        )

    # ---------------------------------------------------------------- the end

    def destroy(self, check_destroy: Check | None) -> None:
        since = self.last_seq()
        if self.initialized:
            result = self.run("destroy", "-no-color", "-input=false", "-auto-approve")
            self.result.destroy = result
            assert result.ok, self.describe(-1, "destroy failed", result)
        self.result.destroy_requests = self.sandbox.requests(since)
        ctx = self.context(-1, since)
        ctx.result = self.result.destroy
        state_file = self.runner.workdir / "terraform.tfstate"
        if state_file.exists():
            left = [r for r in json.loads(state_file.read_text())["resources"] if r["instances"]]
            assert not left, f"resources left in state after destroy: {left}"
        leftovers = check_nothing_left(self.sandbox)
        assert not leftovers, f"the sandbox still holds after destroy: {leftovers}"
        if check_destroy is not None:
            check_destroy(ctx)


def verify_import(
    address: str, applied: Mapping[str, Any], imported: Mapping[str, Any], step: Step
) -> None:
    """Imported values must equal applied ones, but for `import_verify_ignore`."""
    ignore = set(step.import_verify_ignore)
    differences = {
        key: (applied.get(key), imported.get(key))
        for key in sorted(set(applied) | set(imported))
        if key not in ignore and _comparable(applied.get(key)) != _comparable(imported.get(key))
    }
    assert not differences, (
        f"imported {address} differs from applied (applied, imported): {differences}"
    )


def _comparable(value: Any) -> Any:
    # Sets come back from `show -json` as lists in no promised order.
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(value)
    return value


def check_nothing_left(sandbox: Sandbox, tenant: str = TENANT) -> dict[str, Any]:
    """Shared IPs and associations the sandbox still holds for `tenant`, by region."""
    left: dict[str, Any] = {}
    for region, world in sandbox.state().get(tenant, {}).items():
        ips = [ip for ip in world["ip_addresses"] if ip["type"] != "fixed"]
        if ips or world["associations"]:
            left[region] = {"ip_addresses": ips, "associations": world["associations"]}
    return left


def run_case(
    binary: TerraformBinary,
    steps: Sequence[Step],
    *,
    sandbox: Sandbox,
    plugin_dir: Path,
    workdir: Path,
    protocol: str | None = "6",
    env: Mapping[str, str] | None = None,
    check_destroy: Check | None = None,
    log_path: Path | None = None,
) -> CaseResult:
    """Run `steps` in order, then always destroy and check that the sandbox holds nothing.

    `env` defaults to the sandbox's credentials for the `demo` user in DFW; `log_path` turns on
    `TF_LOG=trace` for every command; `check_destroy` is called after the destroy with a context
    whose `requests()` are the calls the destroy made.
    """
    if any(s.import_block for s in steps) and not supports_import_block(binary):
        pytest.skip(f"import blocks need Terraform >= 1.5, this is {binary.version}")
    runner = TerraformRunner(
        binary,
        workdir,
        plugin_dir,
        env=dict(env if env is not None else sandbox.env()),
        log_path=log_path,
        protocol=protocol,
    )
    case = _Case(binary, sandbox, runner)
    try:
        for index, step in enumerate(steps):
            case.step(index, step)
    except BaseException:
        # The failure that matters is the step's; still try not to leave anything behind.
        if case.initialized:
            with contextlib.suppress(Exception):
                case.run("destroy", "-no-color", "-input=false", "-auto-approve")
        raise
    case.destroy(check_destroy)
    assert "Traceback" not in sandbox.log_text(), f"the sandbox failed:\n{sandbox.log_text()}"
    return case.result
