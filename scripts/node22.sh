#!/usr/bin/env bash
# Source this file (". scripts/node22.sh") to put Node.js 22+ first on PATH.
# The sf CLI needs Node 22; a machine that ships an older Node gets the official
# binary from the npm registry (the node-<os>-<arch> package that node@22 itself
# installs), kept under .tools/ so nothing outside the project is touched.
_bulkops_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_bulkops_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_bulkops_major)" -lt 22 ]; then
  case "$(uname -s)" in Linux) _os=linux ;; Darwin) _os=darwin ;; *) _os=win ;; esac
  case "$(uname -m)" in x86_64|amd64) _arch=x64 ;; aarch64|arm64) _arch=arm64 ;; *) _arch="$(uname -m)" ;; esac
  _pkg="node-${_os}-${_arch}"
  # npm finds its global config (registry, CA file) next to the node binary it runs under; keep the
  # machine's own when node changes, or a registry behind a custom CA stops answering.
  if [ -z "${npm_config_globalconfig:-}" ]; then
    _gc="$(npm config get globalconfig 2>/dev/null || true)"
    [ -n "${_gc}" ] && [ -f "${_gc}" ] && export npm_config_globalconfig="${_gc}"
  fi
  _dir="${_bulkops_root}/.tools/node22"
  if [ ! -x "${_dir}/node_modules/${_pkg}/bin/node" ]; then
    echo "bulkops: Node $(node --version 2>/dev/null || echo none) found; fetching ${_pkg}@22 from the npm registry into .tools/" >&2
    mkdir -p "${_dir}"
    npm install --prefix "${_dir}" --no-save --no-audit --no-fund --no-package-lock "${_pkg}@22" >&2 || {
      echo "bulkops: could not install ${_pkg}@22; install Node.js 22 or later and retry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="${_dir}/node_modules/${_pkg}/bin:${PATH}"
fi
unset -f _bulkops_major
