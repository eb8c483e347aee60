#!/bin/sh
# agent.example_config: packaging/agent.conf.example loads as it is except for its token, whose
# placeholder `run --check` refuses in one line (exit 2) naming the command that prints a real
# one; with a token pasted in, it checks OK. An empty token is refused too.
# usage: example_config.sh AGENT EXAMPLE
set -u
agent=$1
example=$2
work=$(mktemp -d /tmp/vr-example.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0

"$agent" run --config "$example" --check >"$work/out" 2>"$work/err"
rc=$?
cat "$work/err"
[ "$rc" = 2 ] || { echo "FAIL: placeholder token: exit $rc, expected 2"; fail=1; }
[ "$(wc -l <"$work/err")" = 1 ] || { echo "FAIL: placeholder: expected one line on stderr"; fail=1; }
grep -q 'token = is still the placeholder of agent.conf.example' "$work/err" ||
    { echo "FAIL: placeholder not named"; fail=1; }
grep -q 'voiceready-collector token add --config .* --site branch-lyon' "$work/err" ||
    { echo "FAIL: the token add command is not named"; fail=1; }

sed 's/^token = .*/token = 0123456789abcdef/' "$example" >"$work/pasted.conf"
"$agent" run --config "$work/pasted.conf" --check >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" = 0 ] || { cat "$work/err"; echo "FAIL: pasted token: exit $rc, expected 0"; fail=1; }

sed 's/^token = .*/token =/' "$example" >"$work/empty.conf"
"$agent" run --config "$work/empty.conf" --check >"$work/out" 2>"$work/err"
rc=$?
cat "$work/err"
[ "$rc" = 2 ] || { echo "FAIL: empty token: exit $rc, expected 2"; fail=1; }
grep -q 'token' "$work/err" || { echo "FAIL: empty token: key not named"; fail=1; }

[ "$fail" = 0 ] && echo "ok: placeholder and empty token refused, pasted token accepted"
exit "$fail"
