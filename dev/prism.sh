#!/usr/bin/env bash
# Installs Stoplight Prism (npm @stoplight/prism-cli, pinned) into .cache/prism for contract tests.
# The tests find it through DESKHOOK_PRISM (exported here) and start it themselves on loopback.
PRISM_VERSION=5.14.2
deskhook_install_prism() {
  local dir="$PWD/.cache/prism"
  if [ ! -x "$dir/node_modules/.bin/prism" ]; then
    mkdir -p "$dir"
    (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } &&
      npm install --no-audit --no-fund --loglevel=error "@stoplight/prism-cli@${PRISM_VERSION}" >/dev/null)
  fi
  export DESKHOOK_PRISM="$dir/node_modules/.bin/prism"
}
