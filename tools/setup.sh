#!/usr/bin/env bash
# Prepares a machine to build and run TextSSL. Idempotent: safe to run before every command.
#
# What it checks and does:
#  1. the .NET 10 SDK is on PATH (it is the one prerequisite installed by hand);
#  2. TorchSharp 0.107.0's native wrapper needs GLIBCXX_3.4.32 (libstdc++ of GCC 13+).
#     Debian 12 ships 3.4.30, and TorchSharp then fails with a misleading message about a
#     missing libtorch package. On Debian 12 only, this script adds Debian 13 ("trixie") as a
#     low-priority apt source (pinned at 100, so nothing else moves) and installs its libstdc++6.
#     Elsewhere it explains what is missing and changes nothing.
set -euo pipefail

say() { printf '[setup] %s\n' "$*" >&2; }

if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET 10 SDK is not on PATH. Install it (https://dot.net), then run this again."
  exit 1
fi

libstdcxx() { ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}'; }
has_glibcxx_3_4_32() {
  local lib; lib=$(libstdcxx)
  [ -n "$lib" ] && grep -qa 'GLIBCXX_3\.4\.32' "$lib"
}

if has_glibcxx_3_4_32; then
  say "libstdc++ provides GLIBCXX_3.4.32 ($(libstdcxx)): ok"
  exit 0
fi

. /etc/os-release 2>/dev/null || true
if [ "${ID:-}" != "debian" ] || [ "${VERSION_ID:-}" != "12" ]; then
  say "libstdc++ at '$(libstdcxx)' lacks GLIBCXX_3.4.32, which TorchSharp's native wrapper needs."
  say "Install the libstdc++ of GCC 13 or newer with your system's package manager"
  say "(Ubuntu 24.04+, Debian 13+ and Fedora 39+ already have it), then run this again."
  exit 1
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    say "need root to install Debian 13's libstdc++6 (no sudo found). Run this script as root."; exit 1
  fi
fi

src=/etc/apt/sources.list.d/debian.sources
if [ ! -r "$src" ]; then
  say "cannot read $src to find this system's Debian mirror and keyring."; exit 1
fi
# The first stanza's URI and keyring are this system's own Debian archive.
uri=$(awk '/^URIs:/ {print $2; exit}' "$src")
keyring=$(awk '/^Signed-By:/ {print $2; exit}' "$src")
if [ -z "$uri" ] || [ -z "$keyring" ]; then
  say "could not read URIs/Signed-By from $src."; exit 1
fi

say "Debian 12 detected: libstdc++ lacks GLIBCXX_3.4.32 (TorchSharp needs it)."
say "Adding Debian 13 (trixie) as an apt source pinned at priority 100, then installing its libstdc++6."
$SUDO tee /etc/apt/sources.list.d/textssl-trixie.sources >/dev/null <<SRC
# Added by TextSSL tools/setup.sh: Debian 13's libstdc++6 for TorchSharp (GLIBCXX_3.4.32).
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: $keyring
SRC
$SUDO tee /etc/apt/preferences.d/textssl-trixie >/dev/null <<PIN
# Added by TextSSL tools/setup.sh: keep every package on bookworm unless asked for with -t trixie.
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t trixie libstdc++6 >/dev/null
if has_glibcxx_3_4_32; then
  say "installed: $(libstdcxx) now provides GLIBCXX_3.4.32"
else
  say "libstdc++6 from trixie was installed but GLIBCXX_3.4.32 is still missing; see 'ldconfig -p | grep libstdc++'."
  exit 1
fi
