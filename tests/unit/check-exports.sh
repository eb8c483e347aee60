#!/bin/sh
# Fails when the static library defines a global symbol without the vr_ prefix.
lib="$1"
bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | grep -v '^vr_' | sort -u)
if [ -n "$bad" ]; then
    echo "globals without the vr_ prefix in $lib:"
    echo "$bad"
    exit 1
fi
echo "all globals of $lib carry the vr_ prefix"
