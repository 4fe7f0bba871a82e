#!/usr/bin/env bash
# A real install, as a user makes it: packs the plugin (npm pack), installs the tarball with
# `sf plugins install` into a fresh sf data folder (its dependencies come from the npm registry),
# then runs `sf bulkops load --help` and a small load against the org emulator through it. Only the
# shipped files (lib, messages, schemas, oclif.manifest.json) are there: nothing of src/ or of the
# project's node_modules can stand in for a missing one. The sf is the project's dev dependency.
# BULKOPS_SKIP_BUILD=1 packs lib/ as it is (CI has just built it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/node22.sh
. scripts/lib.sh
ROOT="$PWD"
SF=("node" "$ROOT/node_modules/@salesforce/cli/bin/run.js")

[ -n "${BULKOPS_SKIP_BUILD:-}" ] || npm run build --silent
BULKOPS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bulkops-install.XXXXXX")
TGZ="$BULKOPS_TMP/$(npm pack --silent --pack-destination "$BULKOPS_TMP" | tail -1)"
tar -tzf "$TGZ" > "$BULKOPS_TMP/files.txt"
echo "Packed $(basename "$TGZ"): $(wc -l < "$BULKOPS_TMP/files.txt") files"
for shipped in package/lib/commands/bulkops/load.js package/messages/bulkops.load.md package/oclif.manifest.json package/schemas/; do
  grep -q "^$shipped" "$BULKOPS_TMP/files.txt" || { echo "install-check: $shipped is not in the tarball" >&2; exit 1; }
done

# npm (run by sf to install the plugin) keeps reading the user's own npm settings (registry, CA, proxy).
export npm_config_userconfig="${npm_config_userconfig:-$HOME/.npmrc}"
bulkops_sf_home "$BULKOPS_TMP/home"
# The tarball is not signed: allow it by name, as `sf plugins install` suggests, instead of answering its prompt.
mkdir -p "$XDG_CONFIG_HOME/sf"
printf '["file:%s"]\n' "$TGZ" > "$XDG_CONFIG_HOME/sf/unsignedPluginAllowList.json"
cd "$BULKOPS_TMP"

echo "$ sf plugins install file:$(basename "$TGZ")"
"${SF[@]}" plugins install "file:$TGZ" < /dev/null
"${SF[@]}" plugins > plugins.txt
grep -q 'plugin-bulkops' plugins.txt || { echo "install-check: sf does not list plugin-bulkops" >&2; exit 1; }

echo "$ sf bulkops load --help"
"${SF[@]}" bulkops load --help > help.txt
grep -q -- '--confirm-hard-delete' help.txt && grep -q 'Load a CSV file into one Salesforce object' help.txt ||
  { cat help.txt >&2; echo "install-check: the help of sf bulkops load is not the plugin's" >&2; exit 1; }

bulkops_start_emulator
bulkops_login_emulator "${SF[@]}" install-check
cp "$ROOT/test/fixtures/sample-accounts.csv" accounts.csv
ROWS=$(($(wc -l < accounts.csv) - 1))
echo "$ sf bulkops load --sobject Account --file accounts.csv --target-org install-check --results-dir results --json"
"${SF[@]}" bulkops load --sobject Account --file accounts.csv --target-org install-check --results-dir results --json > load.json ||
  { cat load.json >&2; echo "install-check: the load failed" >&2; exit 1; }
node -e '
  const r = JSON.parse(require("fs").readFileSync("load.json", "utf8")).result;
  const rows = Number(process.argv[1]);
  if (r.status !== "Completed" || r.successful !== rows || r.failed !== 0) {
    console.error("install-check: expected " + rows + " rows loaded, got " + JSON.stringify(r));
    process.exit(1);
  }
  console.log("Loaded " + r.successful + " of " + rows + " rows through the installed plugin (" + r.jobs.length + " job)");
' "$ROWS"
[ "$(($(wc -l < results/success.csv) - 1))" -eq "$ROWS" ] || { echo "install-check: success.csv does not hold every row" >&2; exit 1; }
echo "install-check: ok"
