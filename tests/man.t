#!/bin/sh
# The man page renders without warnings, and agrees with `ckpt help`: every command has a
# section, and every long option of every command's --help appears in that command's section.
root=$(cd "$(dirname "$0")/.." && pwd)
CKPT=${CKPT:-$root/ckpt}
man=$root/man/ckpt.1
n=0
failed=0
t() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
if command -v mandoc >/dev/null; then
	out=$(mandoc -Tlint -Wwarning "$man" 2>&1)
	t $? "mandoc -Tlint finds no warnings"
	[ -z "$out" ] || echo "$out" | sed 's/^/#   /'
else
	n=$((n + 1)); echo "ok $n # SKIP mandoc not installed"
fi
cmds=$("$CKPT" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }')
for c in $cmds; do
	section=$(awk -v c="$c" '$0 ~ "^\\.Ss ckpt " c "( |$)" { on = 1; next } /^\.S[sh] / { on = 0 } on' "$man")
	[ -n "$section" ]
	t $? "man page has a section for '$c'"
	missing=
	for opt in $("$CKPT" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u | grep -v -x -e --help); do
		printf '%s\n' "$section" | grep -q -- "Fl -${opt#--}\\b" || missing="$missing $opt"
	done
	[ -z "$missing" ]
	t $? "man page documents every option of '$c'${missing:+ (missing:$missing)}"
	synopsis=$(awk -v c="$c" '/^\.Sh SYNOPSIS/ { on = 1 } /^\.Sh DESCRIPTION/ { on = 0 } on && $0 == ".Cm " c' "$man")
	[ -n "$synopsis" ]
	t $? "SYNOPSIS has a line for '$c'"
done
echo "1..$n"
[ "$failed" = 0 ]
