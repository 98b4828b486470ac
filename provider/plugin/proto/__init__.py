"""Generated protobuf/gRPC stubs (scripts/gen_protos.py from proto/); do not edit by hand."""
