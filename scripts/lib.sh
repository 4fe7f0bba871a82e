#!/usr/bin/env bash
# Shell pieces shared by demo.sh and install-check.sh (source it: ". scripts/lib.sh").
# Works from any folder, with Node 22 on PATH (". scripts/node22.sh").

# On exit: the emulator started below stops, and BULKOPS_TMP (a scratch folder, if set) goes.
bulkops_cleanup() {
  [ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null
  [ -n "${BULKOPS_TMP:-}" ] && rm -rf "$BULKOPS_TMP"
  return 0
}
trap bulkops_cleanup EXIT
BULKOPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Everything sf stores (logins, plugins, run folders) goes to folder $1, not the user's own ~/.sf.
bulkops_sf_home() {
  export HOME="$1" XDG_DATA_HOME="$1/.local/share" XDG_CONFIG_HOME="$1/.config" XDG_CACHE_HOME="$1/.cache"
  export SF_DISABLE_DNS_CHECK=true SF_AUTOUPDATE_DISABLE=true SF_DISABLE_AUTOUPDATE=true SF_DISABLE_TELEMETRY=true \
    SF_SKIP_NEW_VERSION_CHECK=true SF_USE_GENERIC_UNIX_KEYCHAIN=true
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME"
}

# Starts the org emulator as its own process (extra arguments go to it); sets EMU_PID, EMU_URL and
# EMU_TOKEN. It stops when the calling script exits.
bulkops_start_emulator() {
  local out="$HOME/emulator.json"
  : > "$out"
  (cd "$BULKOPS_ROOT" && TS_NODE_PROJECT=test/tsconfig.json exec node --loader ts-node/esm --no-warnings test/emulator/main.ts --json "$@") > "$out" &
  EMU_PID=$!
  for _ in $(seq 1 150); do [ -s "$out" ] && break; sleep 0.2; done
  [ -s "$out" ] || { echo "the emulator did not start" >&2; return 1; }
  EMU_URL=$(node -p "JSON.parse(require('fs').readFileSync('$out','utf8')).url")
  EMU_TOKEN=$(node -p "JSON.parse(require('fs').readFileSync('$out','utf8')).accessToken")
  echo "Org emulator running at $EMU_URL"
}

# Logs sf in to the running emulator: the arguments are the sf command (one word or several), then the alias.
bulkops_login_emulator() {
  local alias="${*: -1}"
  SF_ACCESS_TOKEN="$EMU_TOKEN" "${@:1:$#-1}" org login access-token --instance-url "$EMU_URL" --alias "$alias" --no-prompt > /dev/null
}
