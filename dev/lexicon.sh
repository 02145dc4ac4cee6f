#!/usr/bin/env bash
# Fetches the VADER sentiment lexicon (Hutto & Gilbert 2014) for the built-in scorer from the npm
# registry at a pinned version, verifies the tarball's sha256 and extracts vader_lexicon.txt into
# .cache/lexicon/. The sentiment library's CMake embeds that file into deskhook at build time and
# runs this script itself when the file is missing.
#
#   source dev/lexicon.sh && deskhook_fetch_lexicon     # or:  bash dev/lexicon.sh
#
# Idempotent: does nothing when the extracted file is present and its checksum matches. Fails
# loudly (non-zero exit, message on stderr) on a checksum mismatch or when npm is missing.
# Licences: lexicon MIT (C.J. Hutto); npm package vader-sentiment Apache-2.0 (Comcast).
# See sentiment/LEXICON.md.

DESKHOOK_LEXICON_PACKAGE=vader-sentiment
DESKHOOK_LEXICON_VERSION=1.1.3
DESKHOOK_LEXICON_TARBALL_SHA256=de3c50aee6ffe2bc7929f50a69b0a3905d7b63f6fb103c2397517aff799851d2
DESKHOOK_LEXICON_FILE_SHA256=ffb6117bfccf798a34e91d72f50604329946e6fd763668092618d5c5b340a298

deskhook_fetch_lexicon() {
  local root dir out tmp tgz got
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  dir="${DESKHOOK_LEXICON_DIR:-$root/.cache/lexicon}"
  out="$dir/vader_lexicon.txt"
  if [ -f "$out" ] && [ "$(sha256sum "$out" | cut -d' ' -f1)" = "$DESKHOOK_LEXICON_FILE_SHA256" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "deskhook_fetch_lexicon: npm is required to fetch ${DESKHOOK_LEXICON_PACKAGE}@${DESKHOOK_LEXICON_VERSION} (apt-get install npm)" >&2
    return 1
  fi
  mkdir -p "$dir" || return 1
  tmp="$(mktemp -d)" || return 1
  if ! (cd "$tmp" && npm pack --silent --loglevel=error \
          "${DESKHOOK_LEXICON_PACKAGE}@${DESKHOOK_LEXICON_VERSION}" >/dev/null); then
    echo "deskhook_fetch_lexicon: npm pack ${DESKHOOK_LEXICON_PACKAGE}@${DESKHOOK_LEXICON_VERSION} failed" >&2
    rm -rf "$tmp"; return 1
  fi
  tgz="$tmp/${DESKHOOK_LEXICON_PACKAGE}-${DESKHOOK_LEXICON_VERSION}.tgz"
  got="$(sha256sum "$tgz" | cut -d' ' -f1)"
  if [ "$got" != "$DESKHOOK_LEXICON_TARBALL_SHA256" ]; then
    echo "deskhook_fetch_lexicon: CHECKSUM MISMATCH for $tgz" >&2
    echo "  expected $DESKHOOK_LEXICON_TARBALL_SHA256" >&2
    echo "  got      $got" >&2
    rm -rf "$tmp"; return 1
  fi
  if ! tar -xzf "$tgz" -C "$tmp" package/vader_lexicon.txt; then
    echo "deskhook_fetch_lexicon: vader_lexicon.txt not found in $tgz" >&2
    rm -rf "$tmp"; return 1
  fi
  got="$(sha256sum "$tmp/package/vader_lexicon.txt" | cut -d' ' -f1)"
  if [ "$got" != "$DESKHOOK_LEXICON_FILE_SHA256" ]; then
    echo "deskhook_fetch_lexicon: CHECKSUM MISMATCH for vader_lexicon.txt (expected $DESKHOOK_LEXICON_FILE_SHA256, got $got)" >&2
    rm -rf "$tmp"; return 1
  fi
  mv -f "$tmp/package/vader_lexicon.txt" "$out.tmp" && mv -f "$out.tmp" "$out"
  rm -rf "$tmp"
  echo "deskhook_fetch_lexicon: $out (${DESKHOOK_LEXICON_PACKAGE}@${DESKHOOK_LEXICON_VERSION}, sha256 verified)" >&2
}

# Executed (not sourced): fetch now.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  deskhook_fetch_lexicon
fi
