#!/bin/sh
# install.sh CMAKE BUILD_DIR SOURCE_DIR WORK_DIR - `cmake --install` puts
# the program and every man page in place, `man` finds them, and
# `fundtrace help CMD` shows the installed page (man -l) on a terminal.
set -u
cmake=$1
build=$2
src=$3
work=$4
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }
"$cmake" --install "$build" --prefix "$work/prefix" >install.log || fail "cmake --install"
[ -x prefix/bin/fundtrace ] || fail "no program installed"
n=0
for page in "$src"/man/*.1; do
    name=$(basename "$page")
    cmp -s "$page" "prefix/share/man/man1/$name" || fail "$name is not installed"
    n=$((n + 1))
    # fundtrace(1) names every other page under SEE ALSO.
    case $name in
    fundtrace.1) ;;
    *) sed -n "/^\\.SH SEE ALSO/,\$p" "$src/man/fundtrace.1" |
           grep -qF "$(echo "${name%.1}" | sed 's/-/\\-/') (1)" ||
           fail "fundtrace(1) does not list ${name%.1} under SEE ALSO" ;;
    esac
done
if command -v man >/dev/null 2>&1; then
    MANPATH="$work/prefix/share/man" man -w fundtrace-scan >/dev/null 2>&1 ||
        fail "man does not find the installed fundtrace-scan(1)"
fi
# help CMD on a terminal runs man -l on the installed page (a stand-in man
# says what it was asked); without a terminal it prints --help.
mkdir bin
printf '#!/bin/sh\necho "man $*"\n' >bin/man
chmod +x bin/man
if command -v script >/dev/null 2>&1; then
    out=$(PATH="$work/bin:$PATH" script -qec "prefix/bin/fundtrace help trace" /dev/null | tr -d '\r')
    case $out in
    "man -l $work/prefix/bin/../share/man/man1/fundtrace-trace.1") ;;
    *) fail "help trace on a terminal ran: $out" ;;
    esac
fi
PATH="$work/bin:$PATH" prefix/bin/fundtrace help trace | head -1 | grep -q '^usage: fundtrace trace' ||
    fail "help trace without a terminal is not --help"
echo "installed the program and $n man pages; help finds them"
