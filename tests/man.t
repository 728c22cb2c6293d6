#!/bin/sh
# The man page renders without warnings, and agrees with `ckpt help`: every command has a
# section, every long option of every command's --help appears in that command's section, and
# the SYNOPSIS, as rendered, reads exactly as the usage lines of --help (man/synopsis.pl writes it).
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
# Usage forms one a line, continuation lines joined and spaces squeezed: from a help text
# (its first paragraph, each form starting with "ckpt"), and from the SYNOPSIS as mandoc
# renders it (each form starting at the section indent; formatting removed).
usage_forms() {
	perl -ne 'last if /^$/; s/^usage://; if (/^\s*ckpt\b/) { push @f, $_ } elsif (@f) { $f[-1] .= $_ }
		END { for (@f) { s/\s+/ /g; s/^ | $//g; print "$_\n" } }'
}
synopsis_forms() {
	perl -CS -ne 's/.\x08//g; if (/^SYNOPSIS$/) { $on = 1; next } $on = 0 if /^\S/; next unless $on && /\S/;
		if (/^ {5}\S/) { push @f, $_ } elsif (@f) { $f[-1] .= $_ } else { print "?$_" }
		END { for (@f) { s/\s+/ /g; s/^ | $//g; print "$_\n" } }'
}
# The forms of one command (or, given "", of ckpt itself) in a list of forms, in order.
forms_of() {
	if [ -n "$1" ]; then grep -e "^ckpt $1\$" -e "^ckpt $1 "; else grep -v "^ckpt [a-z]"; fi
}
# Say what differs between two lists of forms.
show_diff() {
	printf '%s\n' "$1" | sed 's/^/#   usage:    /'
	printf '%s\n' "$2" | sed 's/^/#   man page: /'
}
rendered=
if command -v mandoc >/dev/null; then
	rendered=$(mandoc -Tascii "$man" | synopsis_forms)
	utf8=$(mandoc -Tutf8 "$man" | synopsis_forms)
	[ "$rendered" = "$utf8" ]
	t $? "SYNOPSIS reads the same rendered as ASCII and as UTF-8"
	want=$("$CKPT" --help | usage_forms)
	got=$(printf '%s\n' "$rendered" | forms_of "")
	[ -n "$want" ] && [ "$want" = "$got" ]; s=$?
	t $s "SYNOPSIS shows ckpt's own usage word for word"
	[ $s = 0 ] || show_diff "$want" "$got"
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
	if [ -n "$rendered" ]; then
		want=$("$CKPT" "$c" --help | usage_forms)
		got=$(printf '%s\n' "$rendered" | forms_of "$c")
		[ -n "$want" ] && [ "$want" = "$got" ]; s=$?
		t $s "SYNOPSIS of '$c' is its usage word for word"
		[ $s = 0 ] || show_diff "$want" "$got"
	fi
	[ "$("$CKPT" help "$c")" = "$("$CKPT" "$c" --help)" ]
	t $? "'ckpt help $c' prints 'ckpt $c --help'"
done
if [ -n "$rendered" ]; then
	unknown=$(printf '%s\n' "$rendered" | awk -v cmds=" $(echo $cmds) " '$2 ~ /^[a-z]/ && index(cmds, " " $2 " ") == 0')
	[ -z "$unknown" ]
	t $? "SYNOPSIS has no form for an unknown command${unknown:+ ($unknown)}"
fi
echo "1..$n"
[ "$failed" = 0 ]
