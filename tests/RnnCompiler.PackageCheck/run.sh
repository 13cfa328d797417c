#!/usr/bin/env bash
# Checks the RnnCompiler package as a user meets it: packs it into a local folder feed, makes fresh console projects
# outside the repository, adds the package with `dotnet add package`, and checks that
#   1. a declared model builds and predicts, with the summary's parameter count;
#   2. a broken declaration fails the build with its RNN error, and the package's code fix repairs it
#      (`dotnet format analyzers` applies code fixes from the project's analyzer references, as the IDE does);
#   3. compile-time weights work through the package's build/RnnCompiler.targets, giving the same outputs;
#   4. the package holds the runtime, the generator, the code fixes and the targets, and two packs are the same bytes;
#   5. the RnnCompiler.Tool package installs with `dotnet tool install`, and its `rnncompiler import` turns a Keras
#      file into a declaration that builds, with its weights compiled in, and a safetensors file the model loads.
# Prints one "Passed!/Failed!" line per check in `dotnet test`'s form, so .ci/run counts them. Exit status: failures.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
feed="$work/feed"
# A package cache of its own: the global one may hold an older build of this same version.
export NUGET_PACKAGES="$work/packages"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
failures=0

record() { # name, exit status
  if [ "$2" -eq 0 ]; then
    echo "Passed!  - Failed:     0, Passed:     1, Skipped:     0, Total:     1 - package: $1"
  else
    echo "Failed!  - Failed:     1, Passed:     0, Skipped:     0, Total:     1 - package: $1"
    failures=$((failures + 1))
  fi
}

dotnet pack "$repo/RnnCompiler.sln" -c Release -o "$feed" > "$work/pack.log" 2>&1
code=$?; [ $code -ne 0 ] && tail -30 "$work/pack.log"
record "dotnet pack of the solution produces the package" $code
version="$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' "$repo/Directory.Build.targets" | head -1)"
nupkg="$feed/RnnCompiler.$version.nupkg"
toolpkg="$feed/RnnCompiler.Tool.$version.nupkg"
ls "$feed"
# Two packages, the library and the tool, and no other project packs.
packages="$(cd "$feed" && ls *.nupkg | sort | tr '\n' ' ')"
[ "$packages" = "RnnCompiler.$version.nupkg RnnCompiler.Tool.$version.nupkg " ]
code=$?; [ $code -ne 0 ] && echo "packed: $packages"
record "the solution packs RnnCompiler and RnnCompiler.Tool, and nothing else" $code

listing="$(unzip -l "$nupkg" 2>&1)"
missing=0
for entry in lib/net10.0/RnnCompiler.dll lib/net10.0/RnnCompiler.xml analyzers/dotnet/cs/RnnCompiler.Generators.dll \
             analyzers/dotnet/cs/RnnCompiler.CodeFixes.dll build/RnnCompiler.targets README.md; do
  grep -q " $entry\$" <<< "$listing" || { echo "missing from the package: $entry"; missing=1; }
done
nuspec="$(unzip -p "$nupkg" RnnCompiler.nuspec 2>&1)"
for field in '<license type="expression">' '<readme>README.md</readme>' '<repository type="git"' "<version>$version</version>"; do
  grep -q "$field" <<< "$nuspec" || { echo "missing from the nuspec: $field"; missing=1; }
done
grep -q "Package Description" <<< "$nuspec" && { echo "the nuspec has the default description"; missing=1; }
record "the package holds runtime, generator, code fixes, targets, readme and metadata" $missing

tool_listing="$(unzip -l "$toolpkg" 2>&1)"
missing=0
for entry in tools/net10.0/any/RnnCompiler.Tool.dll tools/net10.0/any/RnnCompiler.dll tools/net10.0/any/PureHDF.dll \
             tools/net10.0/any/DotnetToolSettings.xml README.md; do
  grep -q " $entry\$" <<< "$tool_listing" || { echo "missing from the tool package: $entry"; missing=1; }
done
grep -q '<packageType name="DotnetTool"' <<< "$(unzip -p "$toolpkg" RnnCompiler.Tool.nuspec 2>&1)" || { echo "the tool package is not a DotnetTool"; missing=1; }
record "the tool package holds the command, the runtime and PureHDF" $missing

dotnet pack "$repo/src/RnnCompiler" -c Release --no-build -o "$work/again" > "$work/pack-again.log" 2>&1 &&
dotnet pack "$repo/src/RnnCompiler.Tool" -c Release --no-build -o "$work/again" >> "$work/pack-again.log" 2>&1
cmp -s "$nupkg" "$work/again/RnnCompiler.$version.nupkg" && cmp -s "$toolpkg" "$work/again/RnnCompiler.Tool.$version.nupkg"
record "two packs of the same build are the same bytes" $?

# 1. A fresh console project with the package.
new_app() { # folder
  dotnet new console -o "$1" --framework net10.0 > "$work/new.log" 2>&1 &&
  dotnet add "$1" package RnnCompiler --version "$version" --source "$feed" > "$work/add.log" 2>&1
}
app="$work/App"
new_app "$app"
code=$?; [ $code -ne 0 ] && cat "$work/new.log" "$work/add.log"
record "dotnet new console and dotnet add package RnnCompiler from the folder feed" $code
cp "$repo/tests/RnnCompiler.PackageCheck/Program.cs.txt" "$app/Program.cs"
dotnet run --project "$app" -c Release -- save "$work/tiny.safetensors" > "$work/app.txt" 2>&1
code=$?
cat "$work/app.txt"
grep -q "^summary ok$" "$work/app.txt" && grep -q "^scores " "$work/app.txt" || code=1
record "a declared model builds, reports Keras's parameter count and predicts" $code

# 2. A broken declaration: its RNN error, then the package's code fix.
cp "$repo/tests/RnnCompiler.PackageCheck/Broken.cs.txt" "$app/Broken.cs"
dotnet build "$app" -c Release > "$work/broken.log" 2>&1
built=$?
grep -q "error RNN0001" "$work/broken.log" && [ $built -ne 0 ]
code=$?; [ $code -ne 0 ] && tail -20 "$work/broken.log"
record "a class that is not partial fails the build with RNN0001" $code
dotnet format analyzers "$app" --diagnostics RNN0001 --severity error > "$work/format.log" 2>&1
grep -q "public partial class Broken" "$app/Broken.cs" && dotnet build "$app" -c Release > "$work/fixed.log" 2>&1
code=$?; [ $code -ne 0 ] && { cat "$work/format.log"; cat "$app/Broken.cs"; tail -20 "$work/fixed.log"; }
record "the package's code fix makes the class partial and the build passes" $code

# 3. Compile-time weights through build/RnnCompiler.targets.
compiled="$work/Compiled"
new_app "$compiled"
cp "$repo/tests/RnnCompiler.PackageCheck/Compiled.cs.txt" "$compiled/Program.cs"
cp "$work/tiny.safetensors" "$compiled/tiny.safetensors"
sed -i 's|</Project>|  <ItemGroup>\n    <RnnWeights Include="tiny.safetensors" />\n  </ItemGroup>\n</Project>|' "$compiled/Compiled.csproj"
dotnet run --project "$compiled" -c Release > "$work/compiled.txt" 2>&1
code=$?
cat "$work/compiled.txt"
[ $code -eq 0 ] && [ "$(grep '^scores ' "$work/app.txt")" = "$(grep '^scores ' "$work/compiled.txt")" ]
record "compile-time weights through the package's targets give the saved model's outputs" $?

# 5. The rnncompiler tool from the feed, on a Keras file written by h5py as tf.keras writes a whole model.
tools="$work/tools"
dotnet tool install --tool-path "$tools" --add-source "$feed" RnnCompiler.Tool --version "$version" > "$work/tool-install.log" 2>&1
code=$?; [ $code -ne 0 ] && cat "$work/tool-install.log"
record "dotnet tool install RnnCompiler.Tool from the folder feed" $code
keras_files="$repo/tests/RnnCompiler.Tests/Models/keras_files"
imported="$work/Imported"
new_app "$imported"
(cd "$imported" && "$tools/rnncompiler" import "$keras_files/deep_stack_tf_keras.h5" --name DeepStack --namespace Imported > DeepStack.cs 2> "$work/import.log")
code=$?
cat "$work/import.log" "$imported/DeepStack.cs"
[ $code -eq 0 ] && [ -s "$imported/deepstack.safetensors" ] && grep -q '^\[RnnModel(SequenceLength = 10, Weights = "deepstack.safetensors")\]$' "$imported/DeepStack.cs"
record "rnncompiler import prints the declaration and writes the weights into the current folder" $?
"$tools/rnncompiler" import "$keras_files/deep_stack.weights.h5" --name DeepStack --output "$work/none" > "$work/refused.txt" 2>&1
code=$?
cat "$work/refused.txt"
[ $code -eq 1 ] && [ ! -e "$work/none" ] && grep -q "weights alone" "$work/refused.txt"
record "rnncompiler import refuses weights without a model, exits 1 and writes nothing" $?
cp "$repo/tests/RnnCompiler.PackageCheck/Imported.cs.txt" "$imported/Program.cs"
sed -i 's|</Project>|  <ItemGroup>\n    <RnnWeights Include="deepstack.safetensors" />\n  </ItemGroup>\n</Project>|' "$imported/Imported.csproj"
(cd "$imported" && dotnet run -c Release > "$work/imported.txt" 2>&1)
code=$?
cat "$work/imported.txt"
[ $code -eq 0 ] && grep -q "^compiled ok$" "$work/imported.txt" && grep -q "^loaded ok$" "$work/imported.txt" && grep -q "^summary ok$" "$work/imported.txt"
record "the printed declaration builds with the weights compiled in, and loads the written file" $?

rm -rf "$work"
exit $failures
