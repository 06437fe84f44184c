#!/usr/bin/env bash
# Packs MaskedSft.Torch, MaskedSft.MLNet and MaskedSft.Testing into a local feed (artifacts/feed), creates a console app in a
# temporary folder OUTSIDE the repository that references the MaskedSft.MLNet package only, and runs the ML.NET pipeline of
# src/Examples/ChatPipeline on the CPU: write chats, fit ApplyChatTemplate + LossMaskedSft, Model.Save, then Model.Load in
# a fresh process. Passes when the fresh process prints exactly the rows the training process printed.
#   bash scripts/pack-smoke.sh [-p:MaskedSftNativeDir=DIR]     (extra arguments go to dotnet pack)
# Needs: the .NET 10 SDK, libtorch (bash scripts/setup.sh), the GPT-2 tokenizer files in .cache/tokenizers/gpt2.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
feed="$repo/artifacts/feed"
version="0.1.0-smoke.$(date +%Y%m%d%H%M%S)"
tokenizer="$repo/.cache/tokenizers/gpt2"
[ -f "$tokenizer/encoder.json" ] || { echo "pack-smoke: $tokenizer/encoder.json is missing; run bash scripts/setup.sh"; exit 1; }
start=$(date +%s)

mkdir -p "$feed"
for project in MaskedSft.Torch MaskedSft.MLNet MaskedSft.Testing; do
  dotnet pack "$repo/src/$project/$project.csproj" -c Release -o "$feed" -p:Version="$version" --nologo -v quiet "$@" >/dev/null
done
echo "pack-smoke: packed $version into $feed"
unzip -l "$feed/MaskedSft.Torch.$version.nupkg" | grep -q "runtimes/linux-x64/native/libMaskedSftNative.so" \
  || { echo "pack-smoke: FAIL: MaskedSft.Torch.$version.nupkg has no runtimes/linux-x64/native/libMaskedSftNative.so"; exit 1; }

app=$(mktemp -d /tmp/maskedsft-pack-smoke.XXXXXX)
trap 'rm -rf "$app"' EXIT
cat > "$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cat > "$app/SmokeApp.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MaskedSft.MLNet" Version="$version" />
  </ItemGroup>
  <ItemGroup>
    <None Include="gpt2-chat-template.json" CopyToOutputDirectory="PreserveNewest" />
  </ItemGroup>
</Project>
XML
cp "$repo/src/Examples/ChatPipeline/Program.cs" "$repo/src/Examples/ChatPipeline/gpt2-chat-template.json" "$app/"
(cd "$app" && dotnet build -c Release --nologo -v quiet -o out >/dev/null)
echo "pack-smoke: built $app against the packages"

cd "$app"
dotnet out/SmokeApp.dll chats chats.jsonl 24
dotnet out/SmokeApp.dll train chats.jsonl "$tokenizer" out/gpt2-chat-template.json model.zip 6 > train.txt
dotnet out/SmokeApp.dll score model.zip chats.jsonl > score.txt
grep '^row ' train.txt > train.rows
grep '^row ' score.txt > score.rows
rows=$(wc -l < train.rows)
grep -E '^(trained|saved|hard example)' train.txt | sed 's/^/pack-smoke:   /'
head -1 score.txt | sed 's/^/pack-smoke:   /'
if [ "$rows" -ne 24 ] || ! cmp -s train.rows score.rows; then
  echo "pack-smoke: FAIL: the fresh process printed other rows than the training process"
  diff train.rows score.rows | head -20
  exit 1
fi
echo "pack-smoke: PASS: $rows rows identical after Model.Save/Model.Load across processes ($(( $(date +%s) - start )) s)"
