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

. scripts/lib.sh
DEMO_HOME="$PWD/tmp/demo-home"
rm -rf "$DEMO_HOME"
bulkops_sf_home "$DEMO_HOME"
# sf plugins spawn `sf` by name: the dev dependency is the one on PATH.
export PATH="$PWD/node_modules/.bin:$PATH"
# The plugin is linked: sf runs its compiled lib/ (npm run build above), which oclif announces on every
# command with "linked ESM module and cannot be auto-transpiled"; that is expected, not a problem.
export OCLIF_DISABLE_LINKED_ESM_WARNING=true
SF=sf

bulkops_start_emulator
bulkops_login_emulator "$SF" bulkops-emulator
"$SF" plugins link . --no-install > /dev/null 2>&1

echo
echo "$ sf bulkops load --sobject Account --file test/fixtures/sample-accounts.csv --target-org bulkops-emulator --results-dir tmp/demo-results"
"$SF" bulkops load --sobject Account --file test/fixtures/sample-accounts.csv --target-org bulkops-emulator --results-dir tmp/demo-results
echo
echo "First rows of tmp/demo-results/success.csv:"
head -4 tmp/demo-results/success.csv
echo
echo "$ sf data query --query \"SELECT Name, External_Id__c, BillingCity FROM Account WHERE BillingCity = 'Oslo' LIMIT 5\" --target-org bulkops-emulator"
"$SF" data query --query "SELECT Name, External_Id__c, BillingCity FROM Account WHERE BillingCity = 'Oslo' LIMIT 5" --target-org bulkops-emulator
