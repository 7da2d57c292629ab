#!/usr/bin/env bash
# Installs `textssl` and `textssl-prep` as local .NET tools of this clone (manifest: .config/dotnet-tools.json):
# packs both (packages textssl-cli and textssl-prep) into a local feed (.tools/feed, git-ignored), then `dotnet tool restore` installs them from it.
# Afterwards, anywhere inside the clone:  dotnet textssl --help   /   dotnet textssl-prep --help
# (or `dotnet tool run textssl ...`). Run it again after changing the code to install the new build.
#
#   TORCH_BACKEND=cpu (default) | cpu-all | cuda | external   which libtorch the textssl package carries
#                                                             (see TorchBackend in Directory.Build.props)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf '[install] %s\n' "$*" >&2; }
feed="$root/.tools/feed"
backend=${TORCH_BACKEND:-cpu}
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)
[ -n "$version" ] || { say "error: no <Version> in Directory.Build.props"; exit 1; }
grep -q "\"version\": \"$version\"" .config/dotnet-tools.json ||
  { say "error: .config/dotnet-tools.json does not name version $version (Directory.Build.props); update one of them"; exit 1; }

mkdir -p "$feed"
rm -f "$feed/textssl-cli.$version.nupkg" "$feed/textssl-prep.$version.nupkg" # only the packages this script writes
say "packing textssl-cli $version (TorchBackend=$backend) into $feed"
dotnet pack src/TextSSL.Cli -c Release -p:TorchBackend="$backend" -o "$feed" -nologo -v quiet
# the prep tool never loads libtorch: its package leaves the native libraries out
say "packing textssl-prep $version into $feed"
dotnet pack tools/TextSSL.Prep -c Release -p:TorchBackend=external -o "$feed" -nologo -v quiet

# NuGet keeps a restored package per version: drop an earlier copy only when it came from this feed, so the new
# build is installed instead of the cached one
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
for id in textssl-cli textssl-prep; do
  meta="$cache/$id/$version/.nupkg.metadata"
  if [ -f "$meta" ] && grep -qF "$feed" "$meta"; then rm -rf "${cache:?}/$id/$version"; fi
done
dotnet tool restore --add-source "$feed"
say "installed: try 'dotnet textssl --help' and 'dotnet textssl-prep --help'"
