"""Real Terraform against providers served by this SDK (protocol 5 and 6, every binary).

- the shipped `rackspace` provider, installed with its own `install --dir`: init and
  `providers schema -json` show its configuration;
- the test-only `example` provider: create, no-op plan, update in place, replace, drift,
  import and destroy, with Terraform's log checked for clean plugin exits.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from provider.plugin.cli import platform_target
from tests.support.terraform import (
    TerraformBinary,
    TerraformRunner,
    binary_params,
    install_provider,
    protocol_params,
)

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SOURCES = ("registry.terraform.io/example/*",)


def assert_plugins_exited_cleanly(log: str) -> None:
    """Every provider process Terraform started exited on its own after Shutdown."""
    assert "failed to exit gracefully" not in log
    exits = [line for line in log.splitlines() if "plugin process exited" in line]
    assert exits, "Terraform's log shows no plugin exits"
    bad = [line for line in exits if "error=" in line or "exit status" in line]
    assert not bad, bad


@pytest.mark.parametrize("protocol", protocol_params())
@pytest.mark.parametrize("binary", binary_params())
def test_rackspace_provider_schema_through_terraform(
    binary: TerraformBinary, protocol: str, tmp_path: Path
) -> None:
    plugin_dir = tmp_path / "plugins"
    install_provider(plugin_dir)
    tf = TerraformRunner(
        binary, tmp_path / "work", plugin_dir, log_path=tmp_path / "tf.log", protocol=protocol
    )
    tf.write(
        "main.tf",
        'terraform {\n  required_providers {\n    rackspace = { source = "rackspace/rackspace" }\n'
        "  }\n}\n",
    )
    init = tf.init().check()
    assert "Installed rackspace/rackspace v0.1.0" in init.stdout
    schema = tf.providers_schema_json()
    provider = schema["provider_schemas"]["registry.terraform.io/rackspace/rackspace"]["provider"]
    attrs = provider["block"]["attributes"]
    assert {"username", "api_key", "password", "region", "auth_url", "tenant_id"} <= set(attrs)
    assert attrs["api_key"]["sensitive"] and attrs["password"]["sensitive"]
    assert attrs["region"]["description_kind"] == "markdown"
    log = tf.log_text()
    assert f"using plugin: version={protocol}" in log
    assert_plugins_exited_cleanly(log)


def _install_example(plugin_dir: Path) -> None:
    target = plugin_dir / "registry.terraform.io/example/example/0.0.1" / platform_target()
    target.mkdir(parents=True)
    launcher = target / "terraform-provider-example_v0.0.1"
    launcher.write_text(
        "#!/bin/sh\n"
        f'PYTHONPATH="{REPO_ROOT}" exec "{sys.executable}" -m tests.plugin.example_provider "$@"\n'
    )
    launcher.chmod(0o755)


CONFIG = """
terraform {{
  required_providers {{
    example = {{ source = "example/example" }}
  }}
}}

provider "example" {{
  store = "{store}"
  token = "very-secret-token"
}}

resource "example_thing" "t" {{
  name = "{name}"
  size = {size}
  tags = ["b", "a"]
  big  = 123456789012345678901234567890
  rule {{
    port = 80
  }}
}}

data "example_echo" "e" {{
  input = example_thing.t.name
}}

output "echo" {{
  value = data.example_echo.e.output
}}
"""


@pytest.mark.parametrize("protocol", protocol_params())
@pytest.mark.parametrize("binary", binary_params())
def test_example_resource_lifecycle_through_terraform(
    binary: TerraformBinary, protocol: str, tmp_path: Path
) -> None:
    plugin_dir = tmp_path / "plugins"
    _install_example(plugin_dir)
    store = tmp_path / "store.json"
    tf = TerraformRunner(
        binary,
        tmp_path / "work",
        plugin_dir,
        mirrored=EXAMPLE_SOURCES,
        log_path=tmp_path / "tf.log",
        protocol=protocol,
    )

    def configure(name: str, size: int) -> None:
        tf.write("main.tf", CONFIG.format(store=store, name=name, size=size))

    configure("alpha", 2)
    tf.init().check()
    tf.apply().check()
    state = tf.show_json()
    (thing,) = [
        r for r in state["values"]["root_module"]["resources"] if r["type"] == "example_thing"
    ]
    first_id = thing["values"]["id"]
    assert thing["values"]["serial"] == 1 and thing["values"]["size"] == 2
    assert state["values"]["outputs"]["echo"]["value"] == "ALPHA"
    assert json.loads(store.read_text())[first_id]["name"] == "alpha"

    no_change = tf.plan("-detailed-exitcode")
    assert no_change.returncode == 0, no_change.stdout + no_change.stderr

    configure("alpha", 3)
    update = tf.plan().check()
    assert "1 to change" in update.stdout and "forces replacement" not in update.stdout
    tf.apply().check()
    thing = _thing(tf)
    assert thing["id"] == first_id and thing["serial"] == 2 and thing["size"] == 3

    configure("beta", 3)
    replace = tf.plan().check()
    assert (
        "forces replacement" in replace.stdout
        and "1 to add, 0 to change, 1 to destroy" in replace.stdout
    )
    tf.apply().check()
    second_id = _thing(tf)["id"]
    assert second_id != first_id and set(json.loads(store.read_text())) == {second_id}

    # Drift: the object disappears behind Terraform's back, so the plan re-creates it.
    store.write_text("{}")
    drift = tf.plan().check()
    assert "1 to add" in drift.stdout

    # Import: forget it, then bring the (re-created) remote object back by id.
    tf.apply().check()
    third_id = _thing(tf)["id"]
    tf.run("state", "rm", "example_thing.t").check()
    tf.import_("example_thing.t", third_id).check()
    imported = _thing(tf)
    assert imported["id"] == third_id and imported["name"] == "beta"
    assert tf.plan("-detailed-exitcode").returncode == 0

    tf.destroy().check()
    assert json.loads(store.read_text()) == {}

    log = tf.log_text()
    assert_plugins_exited_cleanly(log)
    assert "very-secret-token" not in _provider_lines(log)


def _thing(tf: TerraformRunner) -> dict:
    state = tf.show_json()
    (thing,) = [
        r for r in state["values"]["root_module"]["resources"] if r["type"] == "example_thing"
    ]
    return thing["values"]


def _provider_lines(log: str) -> str:
    # Terraform logs requests of its own; the provider's lines are tagged with its name.
    return "\n".join(
        line
        for line in log.splitlines()
        if re.search(r"provider\.terraform-provider-example", line)
    )


@pytest.mark.parametrize("binary", binary_params())
def test_validation_error_points_at_the_attribute(binary: TerraformBinary, tmp_path: Path) -> None:
    plugin_dir = tmp_path / "plugins"
    _install_example(plugin_dir)
    tf = TerraformRunner(binary, tmp_path / "work", plugin_dir, mirrored=EXAMPLE_SOURCES)
    tf.write("main.tf", CONFIG.format(store=tmp_path / "s.json", name="Not Valid", size=500))
    tf.init().check()
    plan = tf.plan()
    assert plan.returncode == 1
    assert "Invalid attribute value" in plan.stderr
    assert re.search(r"on main\.tf line \d+, in resource \"example_thing\" \"t\":", plan.stderr)
    assert "must be between 1 and 100, got 500" in plan.stderr
    assert "Traceback" not in plan.stderr + plan.stdout
