#!/usr/bin/env bash
# Prepares the folder a GPU machine needs to run TextSSL without .NET installed (see tools/gpu-bench.sh):
#   .device/textssl-external.tar.xz   framework-dependent publish of the CLI with -p:TorchBackend=external
#                                     (TorchSharp alone: no CPU libtorch; libtorch comes from PyTorch there)
#   .device/dotnet-runtime.tar.xz     the local .NET runtime (host + Microsoft.NETCore.App, no SDK)
# Both together must stay within 64 MiB, the limit of what is carried to the GPU machine.
# Usage: tools/gpu-pack.sh [OUT_DIR]   (default: .device/, which git ignores)
set -euo pipefail

say() { printf '[gpu-pack] %s\n' "$*" >&2; }
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/.device}" && cd "${1:-$root/.device}" && pwd)
limit=$((64 * 1024 * 1024))
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

say "publishing src/TextSSL.Cli (Release, linux-x64, framework-dependent, TorchBackend=external)"
dotnet publish "$root/src/TextSSL.Cli" -c Release -r linux-x64 --self-contained false \
  -p:TorchBackend=external -o "$stage/textssl" -v quiet -nologo >&2
if find "$stage/textssl" -name 'libtorch*.so*' -o -name 'libc10*.so*' | grep -q .; then
  say "error: the external publish contains a libtorch library; two libtorch copies must never load together:"
  find "$stage/textssl" -name 'libtorch*.so*' -o -name 'libc10*.so*' >&2
  exit 1
fi
tar -C "$stage" -cf - textssl | xz -T0 -6 > "$out/textssl-external.tar.xz"

# The runtime the app was built for: the newest Microsoft.NETCore.App 10.x next to the dotnet on PATH.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
runtime=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* 2>/dev/null | sort -V | tail -1)
[ -n "$runtime" ] || { say "error: no .NET 10 runtime under $dotnet_root/shared/Microsoft.NETCore.App"; exit 1; }
version=$(basename "$runtime")
if [ -f "$out/dotnet-runtime.version" ] && [ "$(cat "$out/dotnet-runtime.version")" = "$version" ] && [ -f "$out/dotnet-runtime.tar.xz" ]; then
  say "runtime $version already packed"
else
  say "packing .NET runtime $version"
  tar -C "$dotnet_root" -cf - dotnet host "shared/Microsoft.NETCore.App/$version" | xz -T0 -6 > "$out/dotnet-runtime.tar.xz"
  echo "$version" > "$out/dotnet-runtime.version"
fi

total=$(du -cb "$out"/textssl-external.tar.xz "$out"/dotnet-runtime.tar.xz | tail -1 | cut -f1)
ls -l "$out" >&2
say "total $((total / 1024 / 1024)) MiB of 64 MiB"
if [ "$total" -gt "$limit" ]; then say "error: over the 64 MiB carry limit"; exit 1; fi
