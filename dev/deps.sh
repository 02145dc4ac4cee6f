#!/usr/bin/env bash
# Installs what deskhook needs to build and run on Debian 12 (apt-get; root or sudo).
# Sourced by dev/run.sh and dev/test.sh. Idempotent: only missing packages are installed.
set -euo pipefail

DESKHOOK_APT_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates curl
  libcpp-httplib-dev libssl-dev libboost-json1.81-dev libboost1.81-dev liblua5.4-dev libsqlite3-dev
  libgtest-dev zlib1g-dev libbrotli-dev libstemmer-dev libgoogle-perftools-dev
)

deskhook_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

deskhook_install_apt() {
  local missing=()
  for p in "${DESKHOOK_APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "deskhook: installing ${missing[*]}" >&2
    deskhook_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    deskhook_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# npm (for the pinned sentiment lexicon and for Prism). A machine that already has Node.js from
# another source (its own npm) is left alone: Debian's npm package would conflict with it.
deskhook_install_npm() {
  if ! command -v npm >/dev/null 2>&1; then
    deskhook_install_apt nodejs npm
  fi
}

# Builds into $1 (default build/) with Release flags.
deskhook_build() {
  local dir="${1:-build}"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}
