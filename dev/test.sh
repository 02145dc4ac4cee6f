#!/usr/bin/env bash
# Sets up everything the tests need on Debian 12 (apt-get, Prism from npm), builds, runs ctest.
# Usage: bash dev/test.sh            (CI calls exactly this through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
source dev/deps.sh
deskhook_install_apt
deskhook_install_npm
source dev/prism.sh
deskhook_install_prism
deskhook_build build
cd build
ctest --output-on-failure -j2 --timeout 600
