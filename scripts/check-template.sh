#!/usr/bin/env bash
# Packages the service (offline, no AWS credentials needed) and checks the CloudFormation
# template it produces: cfn-lint (settings in .cfnlintrc.yaml) then checkov (skips, each with its
# reason, in .checkov.yaml and in handlers/resources/). Both check examples/ too (its skips, with
# their reasons, in each resource's Metadata). Ends with the size of every function's zip.
#
# Usage: bash scripts/check-template.sh [--skip-package]
#   --skip-package (or DBAUTH_SKIP_PACKAGE=1) checks the template already in .serverless/.
# The linters come from the venv scripts/test-services.sh makes: $DBAUTH_LINT_BIN, else
# $HOME/.cache/dbauth/lint/bin.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPLATE=.serverless/cloudformation-template-update-stack.json
LINT_BIN=${DBAUTH_LINT_BIN:-$HOME/.cache/dbauth/lint/bin}
skip_package=${DBAUTH_SKIP_PACKAGE:-}

for arg in "$@"; do
  case $arg in
    --skip-package) skip_package=1 ;;
    *) echo "usage: $0 [--skip-package]" >&2; exit 2 ;;
  esac
done

log() { printf '[check-template] %s\n' "$*" >&2; }

for tool in cfn-lint checkov; do
  if [ ! -x "$LINT_BIN/$tool" ]; then
    log "$tool not found in $LINT_BIN: run 'bash scripts/test-services.sh start' or set DBAUTH_LINT_BIN"
    exit 1
  fi
done

if [ -z "$skip_package" ]; then
  log "npm run package ($(bash scripts/node24.sh npx --no-install serverless --version), Node $(bash scripts/node24.sh node --version))"
  npm run --silent package
fi
[ -f "$TEMPLATE" ] || { log "no $TEMPLATE: run npm run package"; exit 1; }

# cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational. Errors (and any
# other bit, such as a template it cannot parse) fail the check; warnings are shown, not fatal.
cfn_lint() { # files...; prints "no errors" or "no errors, warnings above", or exits
  log "cfn-lint $*"
  local rc=0
  "$LINT_BIN/cfn-lint" "$@" >&2 || rc=$?
  if (( rc & ~12 )); then
    log "cfn-lint found errors in $* (exit code $rc)"
    exit 1
  fi
  if (( rc & 4 )); then echo "no errors, warnings above"; else echo "no errors"; fi
}
lint_result=$(cfn_lint "$TEMPLATE")
# The examples are what users copy: they must lint clean too.
examples_result=$(cfn_lint examples/*.yaml)

# --skip-download: the skips are local and nothing needs the Prisma Cloud API, which this
# machine may not reach.
log "checkov $TEMPLATE"
checkov_out=$("$LINT_BIN/checkov" -f "$TEMPLATE" --framework cloudformation --quiet --compact \
  --config-file .checkov.yaml --skip-download) || {
  printf '%s\n' "$checkov_out"
  log "checkov found failing checks"
  exit 1
}
printf '%s\n' "$checkov_out"
# The examples skip what they leave out in each resource's Metadata, with the reason; the
# service's global skips (.checkov.yaml) are about the service and do not apply to them.
log "checkov examples/"
examples_checkov_out=$("$LINT_BIN/checkov" -d examples --framework cloudformation --quiet --compact \
  --skip-download) || {
  printf '%s\n' "$examples_checkov_out"
  log "checkov found failing checks in examples/"
  exit 1
}
printf '%s\n' "$examples_checkov_out"

echo
echo "template: $TEMPLATE"
echo "cfn-lint: $lint_result"
echo "cfn-lint examples/: $examples_result"
echo "checkov:  $(grep -m1 -o 'Passed checks: .*' <<<"$checkov_out" || echo 'no checks ran')"
echo "checkov examples/: $(grep -m1 -o 'Passed checks: .*' <<<"$examples_checkov_out" || echo 'no checks ran')"
echo "bundles (bytes):"
for zip in .serverless/*.zip; do
  printf '  %-24s %10d\n' "$(basename "$zip")" "$(stat -c %s "$zip")"
done
