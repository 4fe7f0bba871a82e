#!/usr/bin/env bash
# Quick start: installs the project, starts the org emulator, logs the real `sf` CLI in to it,
# links this plugin and runs `sf bulkops load` on a sample CSV. No Salesforce account is needed.
# Everything sf stores (the login, the run folders) goes to tmp/demo-home, not your own ~/.sf.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/node22.sh
echo "Node $(node --version)"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent

DEMO_HOME="$PWD/tmp/demo-home"
rm -rf "$DEMO_HOME" && mkdir -p "$DEMO_HOME"
export HOME="$DEMO_HOME" XDG_DATA_HOME="$DEMO_HOME/.local/share" XDG_CONFIG_HOME="$DEMO_HOME/.config" XDG_CACHE_HOME="$DEMO_HOME/.cache"
export SF_DISABLE_DNS_CHECK=true SF_AUTOUPDATE_DISABLE=true SF_DISABLE_AUTOUPDATE=true SF_DISABLE_TELEMETRY=true SF_SKIP_NEW_VERSION_CHECK=true SF_USE_GENERIC_UNIX_KEYCHAIN=true
# sf plugins spawn `sf` by name: the dev dependency is the one on PATH.
export PATH="$PWD/node_modules/.bin:$PATH"
SF=sf

EMU_OUT="$DEMO_HOME/emulator.json"
TS_NODE_PROJECT=test/tsconfig.json node --loader ts-node/esm --no-warnings test/emulator/main.ts --json > "$EMU_OUT" &
EMU_PID=$!
trap 'kill $EMU_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$EMU_OUT" ] && break; sleep 0.2; done
[ -s "$EMU_OUT" ] || { echo "the emulator did not start" >&2; exit 1; }
EMU_URL=$(node -p "JSON.parse(require('fs').readFileSync('$EMU_OUT','utf8')).url")
echo "Org emulator running at $EMU_URL"

SF_ACCESS_TOKEN=$(node -p "JSON.parse(require('fs').readFileSync('$EMU_OUT','utf8')).accessToken") \
  "$SF" org login access-token --instance-url "$EMU_URL" --alias bulkops-emulator --no-prompt > /dev/null
"$SF" plugins link . > /dev/null 2>&1

echo
echo "$ sf bulkops load --sobject Account --file test/fixtures/sample-accounts.csv --target-org bulkops-emulator --results-dir tmp/demo-results"
"$SF" bulkops load --sobject Account --file test/fixtures/sample-accounts.csv --target-org bulkops-emulator --results-dir tmp/demo-results 2>&1 | grep -v 'linked ESM module\|auto-transpiled'
echo
echo "First rows of tmp/demo-results/success.csv:"
head -4 tmp/demo-results/success.csv
echo
echo "$ sf data query --query \"SELECT Name, External_Id__c, BillingCity FROM Account WHERE BillingCity = 'Oslo' LIMIT 5\" --target-org bulkops-emulator"
"$SF" data query --query "SELECT Name, External_Id__c, BillingCity FROM Account WHERE BillingCity = 'Oslo' LIMIT 5" --target-org bulkops-emulator 2>&1 | grep -v 'linked ESM module\|auto-transpiled'
