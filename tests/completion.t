#!/bin/bash
# Bash completion: subcommands, options from --help, and checkpoint prefixes instead of the
# .index/.data-* files they are made of.
root=$(cd "$(dirname "$0")/.." && pwd)
CKPT=${CKPT:-$root/ckpt}
TESTBIN=${TESTBIN:-$root/build/tests}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/bin" && ln -s "$CKPT" "$dir/bin/ckpt"
PATH=$dir/bin:$PATH
source "$root/completion/ckpt.bash"
"$TESTBIN/mkckpt" sample "$dir/run" >/dev/null
cd "$dir"
n=0 failed=0
complete_line() {
	COMP_WORDS=($1)
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_ckpt
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
check() {
	n=$((n + 1))
	got=$(complete_line "$1")
	if [ "$got" = "$2" ]; then echo "ok $n - '$1'"; else
		echo "not ok $n - '$1'"; echo "#   got:  $got"; echo "#   want: $2"; failed=$((failed + 1)); fi
}
check "ckpt li" "list "
check "ckpt list --js" "--json "
check "ckpt list --sort s" "size "
check "ckpt list run/model" "run/model.ckpt-1000 run/model.ckpt-500 "
check "ckpt list r" "run/ "
check "ckpt list run/c" "run/checkpoint "
echo "1..$n"
[ "$failed" = 0 ]
