#!/usr/bin/env bash
# CI plan check against the local Rackspace sandbox.
#
#   examples/ci/plan-check.sh [CONFIG_DIR]      (default: examples/shared-ip)
#
# Starts `rackspace-sandbox` on a free port with a seed (SEED, default
# examples/ci/seed.yaml), installs the provider into a temporary plugin mirror,
# points Terraform at both, and runs `terraform init`, `validate` and
# `plan -detailed-exitcode` in CONFIG_DIR. Exits with the plan's meaning:
#   0  the plan is empty (no changes)
#   2  the plan has changes
#   1  error (init, validate or plan failed, or the sandbox did not start)
# Needs `rackspace-sandbox` and `terraform-provider-rackspace` on PATH (an
# activated .venv) and Terraform (TERRAFORM, default `terraform`). The user's
# ~/.terraformrc and ~/.terraform.d are not used. Nothing is written outside a
# temporary directory except CONFIG_DIR/.terraform.lock.hcl.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
config_dir=$(cd "${1:-$here/../shared-ip}" && pwd)
seed=${SEED:-$here/seed.yaml}
terraform=${TERRAFORM:-terraform}

work=$(mktemp -d "${TMPDIR:-/tmp}/plan-check.XXXXXX")
sandbox_pid=""
cleanup() {
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "plan-check: $*" >&2
  exit 1
}

echo "plan-check: starting the sandbox (seed: $seed)" >&2
rackspace-sandbox serve --port 0 --db "$work/sandbox.db" --seed "$seed" \
  >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$work/sandbox.log" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || fail "the sandbox did not start: $(tail -n 20 "$work/sandbox.log")"
eval "$(rackspace-sandbox env --port "$port")"

terraform-provider-rackspace install --dir "$work/plugins" >&2 ||
  fail "terraform-provider-rackspace install failed"
cat >"$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/plugins"
    include = ["registry.terraform.io/rackspace/rackspace"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" TF_DATA_DIR="$work/.terraform"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

tf() { "$terraform" -chdir="$config_dir" "$@"; }
tf init -input=false -no-color >&2 || fail "terraform init failed"
tf validate -no-color >&2 || fail "terraform validate failed"

status=0
tf plan -input=false -no-color -detailed-exitcode || status=$?
case "$status" in
  0) echo "plan-check: no changes" >&2 ;;
  2) echo "plan-check: the plan has changes" >&2 ;;
  *) echo "plan-check: terraform plan failed (exit $status)" >&2; status=1 ;;
esac
exit "$status"
