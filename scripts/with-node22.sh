#!/usr/bin/env bash
# Runs a command with Node.js 22+ first on PATH (fetched into .tools/ when the machine has an older one).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/node22.sh"
exec "$@"
