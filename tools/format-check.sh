#!/bin/sh
# format-check.sh [--all] [BASE]
# Checks C sources against the repository's .clang-format with clang-format
# 14 (Debian 12's). By default only the lines changed since BASE (default:
# the merge base with main) are checked, as STYLE.md asks ("format the
# lines you change"): the tree as a whole predates the check and is not
# reformatted at once, so that parallel branches keep merging. With --all,
# every file is checked and the differing lines are counted.
# Exit status: 0 formatted, 1 not, 2 clang-format missing.
set -u
cd "$(dirname "$0")/.." || exit 2
CF=$(command -v clang-format-14 || command -v clang-format) || {
    echo "format-check: clang-format 14 is not installed (apt-get install clang-format)" >&2
    exit 2
}
files() { git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c' 'tests/*.h' 'tests/fuzz/*.c'; }
if [ "${1:-}" = --all ]; then
    n=0
    for f in $(files); do
        d=$("$CF" --style=file "$f" | diff "$f" - | grep -c '^>')
        if [ "$d" -gt 0 ]; then
            echo "$f: $d lines differ"
            n=$((n + d))
        fi
    done
    echo "format-check: $n lines differ from .clang-format"
    [ "$n" -eq 0 ]
    exit
fi
base=${1:-$(git merge-base HEAD main 2>/dev/null || echo HEAD)}
GCF=$(command -v git-clang-format-14 || command -v git-clang-format) || {
    echo "format-check: git-clang-format is not installed (apt-get install clang-format)" >&2
    exit 2
}
out=$("$GCF" --binary "$CF" --diff "$base" -- $(files) 2>&1)
case $out in
"" | "no modified files to format" | *"did not modify any files"*)
    echo "format-check: the lines changed since $base are formatted"
    exit 0
    ;;
esac
printf '%s\n' "$out"
echo "format-check: format the lines above ('git clang-format $base')" >&2
exit 1
