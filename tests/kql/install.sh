#!/usr/bin/env bash
# Install the pinned Kusto language service for the KQL tests (npm ci from package-lock.json).
# Idempotent: skips when node_modules was installed from the current lock file.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "tests/kql: node (Node.js >= 18) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "tests/kql: npm is required" >&2; exit 1; }
stamp=node_modules/.bgwizard-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
