#!/bin/sh
# Golden CLI tests, one case per file: tests/cli/<command>/<case>.sh beside its expected
# <case>.out (stdout), <case>.err (stderr) and <case>.status (exit status).
#
# A case runs with `sh -e` in a scratch folder holding the generated checkpoints (see
# tests/tools/mkckpt.c), with $CKPT the binary, $FIX the real TensorFlow fixtures and $GEN the
# generated set. Output naming $FIX or the scratch folder is rewritten to FIX / GEN.
#
#   prove tests/cli.t                       # all cases (needs CKPT and TESTBIN, as make check sets)
#   sh tests/cli.t list/missing-path        # one case, by name
#   UPDATE=1 sh tests/cli.t [case...]       # regenerate expectations; review with git diff
#   CLI_SHARD=0/2 sh tests/cli.t            # every second case from the first (to run in parallel)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
CKPT=${CKPT:-$root/ckpt}
TESTBIN=${TESTBIN:-$root/build/tests}
FIX=${CKPT_FIXTURES:-$root/../shared/fixtures/tf}
FIX=$(cd "$FIX" 2>/dev/null && pwd || echo "$FIX")
# The presets of this tree, wherever the binary under test was built (build/san/ckpt too).
CKPT_PRESETS=${CKPT_PRESETS:-$root/presets}
export CKPT FIX CKPT_PRESETS

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ckpt-cli.XXXXXX")
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT INT TERM
GEN=$scratch/gen
mkdir -p "$GEN"
"$TESTBIN/mkckpt" all "$GEN" >/dev/null || { echo "Bail out! mkckpt failed"; exit 1; }
export GEN

if [ $# -gt 0 ]; then
	cases=$(for c in "$@"; do echo "$here/cli/${c%.sh}.sh"; done)
else
	cases=$(find "$here/cli" -name '*.sh' | sort)
fi
if [ -n "${CLI_SHARD:-}" ]; then
	cases=$(echo "$cases" | awk -v i="${CLI_SHARD%/*}" -v n="${CLI_SHARD#*/}" '(NR - 1) % n == i')
fi

n=0
failed=0
skipped=0
for case in $cases; do
	n=$((n + 1))
	name=${case#"$here/cli/"}
	name=${name%.sh}
	base=${case%.sh}
	# A case that reads the real TensorFlow fixtures cannot run where they are absent (a fresh
	# clone without ../shared): it is skipped, and the summary says how many were.
	if [ ! -d "$FIX" ] && grep -q '\$FIX' "$case"; then
		skipped=$((skipped + 1))
		echo "ok $n - $name # skip no fixtures at $FIX (set CKPT_FIXTURES)"
		continue
	fi
	work=$scratch/work/$name
	mkdir -p "$work"
	(cd "$GEN" && HOME=$work TMPDIR=$work NO_COLOR=1 COLUMNS=200 sh -e "$case" \
		>"$work/out.raw" 2>"$work/err.raw")
	echo $? >"$work/status"
	for s in out err; do
		sed -e "s#$FIX#FIX#g" -e "s#$GEN#GEN#g" -e "s#$scratch#SCRATCH#g" \
			"$work/$s.raw" >"$work/$s"
	done
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$work/out" "$base.out"
		cp "$work/err" "$base.err"
		cp "$work/status" "$base.status"
	fi
	bad=
	for s in out err status; do
		if ! cmp -s "$work/$s" "$base.$s" 2>/dev/null; then
			bad="$bad $s"
		fi
	done
	if [ -z "$bad" ]; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name (differs:$bad)"
		for s in $bad; do
			[ -f "$base.$s" ] || { echo "#   no $name.$s"; continue; }
			diff -u "$base.$s" "$work/$s" | head -40 | sed 's/^/#   /'
		done
	fi
done
echo "1..$n"
[ "$skipped" = 0 ] || echo "# $skipped of $n cases skipped: no fixtures at $FIX"
[ "$failed" = 0 ]
