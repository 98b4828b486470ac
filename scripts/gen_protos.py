"""Regenerate the Python gRPC stubs in provider/plugin/proto/ from the .proto files in proto/.

Usage: python scripts/gen_protos.py [--out DIR]

`--out` writes somewhere else (the drift test regenerates into a temp dir and compares).
Generated imports are rewritten to be package-relative so the stubs live inside
`provider.plugin.proto` without touching `sys.path`.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "provider" / "plugin" / "proto"
PROTOS = ("tfplugin5.proto", "tfplugin6.proto", "grpc_controller.proto", "grpc_stdio.proto")

_ABSOLUTE_IMPORT = re.compile(r"^import (\w+_pb2) as (\w+)$", re.MULTILINE)


def generate(out_dir: Path) -> list[Path]:
    """Write the stubs for every proto into `out_dir`; return the files written."""
    from grpc_tools import protoc  # a test/dev dependency only

    out_dir.mkdir(parents=True, exist_ok=True)
    well_known = resources.files("grpc_tools") / "_proto"
    written: list[Path] = []
    for name in PROTOS:
        args = [
            "protoc",
            f"-I{PROTO_DIR}",
            f"-I{well_known}",
            f"--python_out={out_dir}",
            f"--pyi_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            str(PROTO_DIR / name),
        ]
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed for {name}")
        stem = name.removesuffix(".proto")
        for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
            path = out_dir / f"{stem}{suffix}"
            text = _ABSOLUTE_IMPORT.sub(r"from . import \1 as \2", path.read_text())
            path.write_text(text)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path.relative_to(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
