#!/usr/bin/env bash
# CI plan check of a Terraform configuration against the local Rackspace sandbox.
#
#   examples/ci/plan-check.sh [--apply] [CONFIG_DIR]   (default: examples/shared-ip)
#   examples/ci/plan-check.sh --help
#
# What it does:
#   1. Starts `rackspace-sandbox` on a free port with a seed (SEED, default
#      examples/ci/seed.yaml) and points the provider at it: every RACKSPACE_*
#      and OS_* variable of the caller is dropped, so no real cloud is used
#      (unless the configuration's provider block hard-codes an auth_url).
#   2. Installs the provider into a temporary plugin mirror
#      (`terraform-provider-rackspace install --dir`) used through a private CLI
#      config: the user's ~/.terraformrc and ~/.terraform.d are not used, and
#      only rackspace/rackspace can be installed (no registry is contacted).
#   3. Works on a temporary copy of CONFIG_DIR (without `.git/`, `.terraform/`
#      and `terraform.tfstate*`). The copy sits at the same relative place in a
#      mirror of the tree it lives in: PLAN_CHECK_ROOT when set, else the git
#      work tree (`git rev-parse --show-toplevel`), else `/`. Directories along
#      the path are real, everything else there is a symlink to the original,
#      so local module sources such as `../modules/shared-ip` resolve.
#   4. Forces a throwaway local backend with an override file
#      (`zz_plan_check_backend_override.tf`): the configuration's own backend
#      (s3, remote, cloud, ...) is never contacted, and every run starts from an
#      empty state.
#   5. A committed CONFIG_DIR/.terraform.lock.hcl is respected:
#      `terraform init -lockfile=readonly`, so a lock file that does not match
#      the installed provider fails the check. With no lock file, init writes
#      one in the temporary copy only. CONFIG_DIR is never written to.
#   6. Runs `terraform validate`, then
#        plan mode:    `terraform plan -detailed-exitcode`;
#        --apply mode: `terraform apply`, `terraform plan -detailed-exitcode`
#                      (must be empty: catches perpetual diffs), `terraform
#                      destroy`.
#      The sandbox is always stopped and the temporary directory removed.
#      Warm launches keep their fork server's socket in that directory, and the
#      server is stopped too (with pkill; where there is none, it exits after its
#      idle period: 60 s when CI is set).
#
# Exit codes:
#   plan mode (default)
#     0  the plan is empty (no changes)
#     2  the plan has changes (expected for a configuration that manages
#        resources, since the check starts from an empty state)
#     1  error: usage, missing tool, sandbox, init (lock file), validate or plan
#   --apply mode
#     0  applied to the sandbox, the plan after apply is empty, destroyed
#     2  applied and destroyed, but the plan after apply still has changes
#        (a perpetual diff)
#     1  error: as above, or apply or destroy failed
#
# Terraform's output goes to stdout for the plan that decides the exit code and
# to stderr otherwise; `plan-check:` lines on stderr say what happened.
#
# Environment: TERRAFORM (default `terraform` on PATH), SEED, PLAN_CHECK_ROOT
# (the tree to mirror; default: the git work tree of CONFIG_DIR), TMPDIR, TF_VAR_* (passed
# through). TF_CLI_ARGS*, TF_WORKSPACE, TF_DATA_DIR and TF_PLUGIN_CACHE_DIR
# are ignored. Needs `rackspace-sandbox` and `terraform-provider-rackspace` on
# PATH (an activated .venv). Nothing is written outside a temporary directory.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo pipefail$/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

say() {
  echo "plan-check: $*" >&2
}

fail() {
  say "$*"
  exit 1
}

apply_mode=0
config_arg=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --apply) apply_mode=1 ;;
    --)
      shift
      [ "$#" -le 1 ] || fail "usage: plan-check.sh [--apply] [CONFIG_DIR] (see --help)"
      config_arg=${1:-}
      break
      ;;
    -*) fail "unknown option $1 (usage: plan-check.sh [--apply] [CONFIG_DIR]; see --help)" ;;
    *)
      [ -z "$config_arg" ] || fail "usage: plan-check.sh [--apply] [CONFIG_DIR] (see --help)"
      config_arg=$1
      ;;
  esac
  shift
done

here=$(cd "$(dirname "$0")" && pwd -P)
config_arg=${config_arg:-$here/../shared-ip}
[ -d "$config_arg" ] || fail "no such configuration directory: $config_arg"
config_dir=$(cd "$config_arg" && pwd -P)
seed=${SEED:-$here/seed.yaml}
[ -f "$seed" ] || fail "no such seed file: $seed"
terraform=${TERRAFORM:-terraform}
command -v "$terraform" >/dev/null 2>&1 ||
  fail "Terraform not found: '$terraform' (set TERRAFORM or put terraform on PATH)"
for tool in rackspace-sandbox terraform-provider-rackspace; do
  command -v "$tool" >/dev/null 2>&1 ||
    fail "$tool is not on PATH (activate the virtualenv that has terraform-provider-rackspace)"
done
override_name=zz_plan_check_backend_override.tf
[ ! -e "$config_dir/$override_name" ] ||
  fail "$config_dir/$override_name exists; plan-check.sh writes a file of that name in its copy"

# The entries of a directory, dotfiles included (no `.` or `..`), NUL-separated.
entries() {
  local dir=${1%/} entry
  for entry in "$dir"/* "$dir"/.[!.]* "$dir"/..?*; do
    if [ -e "$entry" ] || [ -L "$entry" ]; then
      printf '%s\0' "$entry"
    fi
  done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/plan-check.XXXXXX")
work=$(cd "$work" && pwd -P)
sandbox_pid=""
# shellcheck disable=SC2329  # invoked by the EXIT trap
cleanup() {
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  # This run's fork server (warm launches): its command line names its socket in $work.
  if command -v pkill >/dev/null 2>&1; then
    pkill -TERM -f -- "--socket $work/w/" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --------------------------------------------------------------------------- the copy
if [ -n "${PLAN_CHECK_ROOT:-}" ]; then
  root=$(cd "$PLAN_CHECK_ROOT" && pwd -P) || fail "no such PLAN_CHECK_ROOT: $PLAN_CHECK_ROOT"
elif command -v git >/dev/null 2>&1 &&
  top=$(git -C "$config_dir" rev-parse --show-toplevel 2>/dev/null) && [ -n "$top" ]; then
  root=$(cd "$top" && pwd -P)
else
  root=/
fi
prefix=${root%/}/
case "$config_dir" in
  "$root") relative="" ;;
  "$prefix"*) relative=${config_dir#"$prefix"} ;;
  *) fail "$config_dir is not inside PLAN_CHECK_ROOT ($root)" ;;
esac

src=$root
copy=$work/tree
mkdir "$copy"
if [ -n "$relative" ]; then
  IFS=/ read -r -a parts <<<"$relative"
  for part in "${parts[@]}"; do
    # One `ln -s SOURCE... DIR` per batch: a level may hold many entries (/tmp).
    # shellcheck disable=SC2016  # the $ are for that sh
    entries "$src" | while IFS= read -r -d '' entry; do
      [ "${entry##*/}" = "$part" ] || printf '%s\0' "$entry"
    done | xargs -0 sh -c 'dir=$1; shift; [ "$#" -eq 0 ] || ln -s "$@" "$dir"' sh "$copy"
    src=${src%/}/$part
    copy=$copy/$part
    mkdir "$copy"
  done
fi
while IFS= read -r -d '' entry; do
  case "${entry##*/}" in
    .git | .terraform | terraform.tfstate | terraform.tfstate.* | .terraform.tfstate.lock.info) ;;
    *) cp -R "$entry" "$copy/" ;;
  esac
done < <(entries "$config_dir")

cat >"$copy/$override_name" <<'TF'
# Written by plan-check.sh: a throwaway local backend instead of the
# configuration's own (never contacted), with the state in this temporary copy.
terraform {
  backend "local" {
    path = "plan-check.tfstate"
  }
}
TF

lock=$config_dir/.terraform.lock.hcl
lock_sum=""
init_args=(init -input=false -no-color)
if [ -f "$lock" ]; then
  lock_sum=$(cksum <"$lock")
  init_args+=(-lockfile=readonly)
  say "using the committed $lock read-only (-lockfile=readonly)"
else
  say "no .terraform.lock.hcl in $config_dir: init writes one in the temporary copy only"
fi

# --------------------------------------------------------------------------- the sandbox
say "starting the sandbox (seed: $seed)"
rackspace-sandbox serve --port 0 --db "$work/sandbox.db" --seed "$seed" \
  </dev/null >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|.*serving http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$work/sandbox.log" | head -n 1)
  [ -n "$port" ] && break
  kill -0 "$sandbox_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || fail "the sandbox did not start: $(tail -n 20 "$work/sandbox.log")"

# Only the sandbox's credentials and endpoint reach the provider.
while IFS= read -r name; do
  case "$name" in
    RACKSPACE_* | OS_* | TF_CLI_ARGS | TF_CLI_ARGS_*) unset "$name" ;;
  esac
done < <(compgen -e)
unset TF_WORKSPACE TF_DATA_DIR TF_PLUGIN_CACHE_DIR
sandbox_env=$(rackspace-sandbox env --port "$port") || fail "rackspace-sandbox env failed"
eval "$sandbox_env"

if ! terraform-provider-rackspace install --dir "$work/plugins" >"$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  fail "terraform-provider-rackspace install failed"
fi
version=$(terraform-provider-rackspace --version 2>/dev/null) || version="terraform-provider-rackspace"
say "installed $version into a temporary plugin mirror"
cat >"$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/plugins"
    include = ["registry.terraform.io/rackspace/rackspace"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
# Warm launches: the fork server's socket in this run's directory (stopped by cleanup).
export TERRAFORM_PROVIDER_RACKSPACE_WARM_DIR="$work/w"

# --------------------------------------------------------------------------- terraform
tf() { "$terraform" -chdir="$copy" "$@"; }

status=0
tf "${init_args[@]}" >"$work/init.log" 2>&1 || status=$?
cat "$work/init.log" >&2
if [ -n "$lock_sum" ] && [ "$(cksum <"$lock")" != "$lock_sum" ]; then
  fail "BUG: $lock changed during the run"
fi
if [ "$status" -ne 0 ]; then
  said=$(tr '\n' ' ' <"$work/init.log" | tr -s ' ')
  if [ -n "$lock_sum" ]; then
    case "$said" in
      *"checksum"*)
        fail "terraform init failed: the committed $lock has no checksum matching the" \
          "provider installed for this run (a stale or foreign h1: hash); regenerate it with" \
          "terraform init against the current provider and commit it"
        ;;
      *"no longer available"*)
        fail "terraform init failed: the committed $lock selects a provider version this run" \
          "did not install ($version is installed); update the lock file and commit it"
        ;;
      *"lock file is read-only"* | *"dependency changes detected"*)
        fail "terraform init failed: the committed $lock does not cover the configuration's" \
          "providers (one is missing, or its version or constraints differ); run terraform" \
          "init without -lockfile=readonly and commit the updated lock file"
        ;;
    esac
    fail "terraform init failed (exit $status) with the committed $lock read-only"
  fi
  fail "terraform init failed (exit $status)"
fi
tf validate -no-color >&2 || fail "terraform validate failed"

if [ "$apply_mode" -eq 0 ]; then
  tf plan -input=false -no-color -detailed-exitcode || status=$?
  case "$status" in
    0) say "no changes" ;;
    2) say "the plan has changes" ;;
    *) fail "terraform plan failed (exit $status)" ;;
  esac
  exit "$status"
fi

say "applying to the sandbox"
tf apply -input=false -no-color -auto-approve >&2 || fail "terraform apply failed"
status=0
tf plan -input=false -no-color -detailed-exitcode || status=$?
case "$status" in
  0) say "applied; the plan after apply is empty (converged)" ;;
  2)
    say "applied, but the plan after apply still has changes (perpetual diff):" \
      "see that plan on stdout"
    ;;
  *) say "terraform plan after apply failed (exit $status)" ;;
esac
say "destroying"
tf destroy -input=false -no-color -auto-approve >&2 || fail "terraform destroy failed"
case "$status" in
  0) say "destroyed; converged" ;;
  2) say "destroyed; exit 2: the configuration does not converge" ;;
  *) exit 1 ;;
esac
exit "$status"
