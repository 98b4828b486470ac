"""The committed stubs must be exactly what scripts/gen_protos.py makes from proto/."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_protos", ROOT / "scripts" / "gen_protos.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stubs_match_protos(tmp_path: Path) -> None:
    written = _generator().generate(tmp_path)
    assert len(written) == 12
    committed = ROOT / "provider" / "plugin" / "proto"
    for fresh in written:
        ours = committed / fresh.name
        assert ours.exists(), f"{ours} is missing: run scripts/gen_protos.py"
        assert ours.read_text() == fresh.read_text(), (
            f"{ours.name} is stale: run scripts/gen_protos.py and commit the result"
        )


def test_protos_declare_the_released_minor_versions() -> None:
    v5 = (ROOT / "proto" / "tfplugin5.proto").read_text()
    v6 = (ROOT / "proto" / "tfplugin6.proto").read_text()
    assert "protocol 5.10" in v5 and "package tfplugin5;" in v5
    assert "protocol 6.10" in v6 and "package tfplugin6;" in v6
    assert "SPDX-License-Identifier: MPL-2.0" in v5 and "SPDX-License-Identifier: MPL-2.0" in v6
