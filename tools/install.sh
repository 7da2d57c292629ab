#!/usr/bin/env bash
# Installs `textssl` and `textssl-prep` as local .NET tools of this clone (manifest: .config/dotnet-tools.json):
# packs both (packages textssl-cli and textssl-prep) into a local feed (.tools/feed, git-ignored), then `dotnet tool restore` installs them from it.
# Afterwards, anywhere inside the clone:  dotnet textssl --help   /   dotnet textssl-prep --help
# (or `dotnet tool run textssl ...`). The same packages are also installed as plain commands into .tools/bin
# (`dotnet tool install --tool-path`): `export PATH="$PWD/.tools/bin:$PATH"` makes `textssl` and `textssl-prep` work
# anywhere. Run it again after changing the code to install the new build.
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

# plain commands: .tools/bin (git-ignored, this script's own folder) gets the same build; a tool installed there
# earlier is replaced, since `dotnet tool update` keeps an installed copy of the same version
bin="$root/.tools/bin"
for id in textssl-cli textssl-prep; do
  if dotnet tool list --tool-path "$bin" 2>/dev/null | grep -q "^$id "; then
    dotnet tool uninstall --tool-path "$bin" "$id" >/dev/null
  fi
  dotnet tool install --tool-path "$bin" --add-source "$feed" --version "$version" "$id" >/dev/null
done
say "installed: 'dotnet textssl --help' inside the clone, or anywhere after: export PATH=\"$bin:\$PATH\"; textssl --help"
