#!/bin/sh
# Every exported name of the libraries given (common, agent, collector) has one definition:
# fails when a library defines a global symbol without the vr_ prefix (STYLE.md), or when a
# global is defined twice, in two libraries or in two objects of one.
# usage: check-exports.sh [--allow-twice NAME]... LIB.a...
# --allow-twice names a known, tracked exception to the "once" rule (printed, never silent).
allowed=" "
while [ "$1" = "--allow-twice" ] && [ $# -ge 2 ]; do
    allowed="$allowed$2 "
    shift 2
done
if [ $# -eq 0 ]; then
    echo "usage: $0 [--allow-twice NAME]... LIB.a..." >&2
    exit 2
fi
status=0
all=$(mktemp)
trap 'rm -f "$all"' EXIT
for lib in "$@"; do
    # one line per definition: symbol, library, object (nm -A: "LIB.a:OBJ.o:VALUE TYPE NAME")
    defs=$(nm -A -g --defined-only "$lib" | awk -v lib="$(basename "$lib")" '
        NF == 3 { n = split($1, p, ":"); print $3, lib, p[n - 1] }')
    printf '%s\n' "$defs" | sed '/^$/d' >>"$all"
    bad=$(printf '%s\n' "$defs" | awk 'NF == 3 { print $1 }' | grep -v '^vr_' | sort -u)
    if [ -n "$bad" ]; then
        echo "globals without the vr_ prefix in $lib:"
        echo "$bad"
        status=1
    else
        echo "all globals of $lib carry the vr_ prefix"
    fi
done
twice=$(awk '{ n[$1]++; where[$1] = where[$1] " " $2 ":" $3 }
             END { for (s in n) if (n[s] > 1) print s ":" where[s] }' "$all" | sort)
for name in $allowed; do
    if printf '%s\n' "$twice" | grep -q "^$name:"; then
        echo "allowed for now, defined more than once: $(printf '%s\n' "$twice" | grep "^$name:")"
        twice=$(printf '%s\n' "$twice" | grep -v "^$name:")
    fi
done
if [ -n "$twice" ]; then
    echo "globals defined more than once (library:object):"
    echo "$twice"
    status=1
else
    echo "no global is defined twice across $#" "libraries"
fi
exit $status
