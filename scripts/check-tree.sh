#!/usr/bin/env bash
# Fails when the repository tracks something that is not source: a file over
# 1 MB, an executable binary (ELF, Mach-O, PE, or any file git tracks as
# executable that is not a script), or anything under node_modules. The Go
# module zip is made of the tracked files, so this keeps `go get` small.
set -euo pipefail
cd "$(dirname "$0")/.."

bad=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  case "/$f/" in
    */node_modules/*) echo "tracked under node_modules: $f"; bad=1; continue ;;
  esac
  size=$(stat -c %s "$f")
  if [ "$size" -gt 1048576 ]; then
    echo "tracked file over 1 MB ($size bytes): $f"; bad=1
  fi
  magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
  case "$magic" in
    7f454c46 | cffaedfe | cefaedfe | feedfacf | feedface | cafebabe | 4d5a*)
      echo "tracked executable binary: $f"; bad=1 ;;
  esac
done < <(git ls-files -z)

# Executable bits only on scripts that start with #!.
while read -r mode _ _ f; do
  [ "$mode" = 100755 ] || continue
  [ "$(head -c 2 "$f")" = '#!' ] || { echo "tracked as executable but not a script: $f"; bad=1; }
done < <(git ls-files -s)

[ "$bad" = 0 ] || { echo "the repository must hold source only: remove these from git and ignore them"; exit 1; }
echo "tree: $(git ls-files | wc -l) tracked files, all source"
