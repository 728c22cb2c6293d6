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
check "ckpt tr" "trend "
check "ckpt trend --by" "--by-scope "
check "ckpt trend --html ru" "run "
check "ckpt list --sort s" "size "
check "ckpt list run/model" "run/model.ckpt-1000 run/model.ckpt-500 "
check "ckpt list r" "run/ "
check "ckpt list run/c" "run/checkpoint "
check "ckpt match --format p" "python "
check "ckpt match --map-o" "--map-out "
# zsh: the same through zsh's own completion system (completion/_ckpt), typed into an
# interactive zsh on a pseudo-terminal: each line, TAB, Return; Return is bound to print the
# command line as completed (a space after a word that completed uniquely).
zcheck() {
	n=$((n + 1))
	got=$(sed -n "${n_z}p" "$dir/zsh.out")
	n_z=$((n_z + 1))
	if [ "$got" = "$2" ]; then echo "ok $n - zsh: '$1'"; else
		echo "not ok $n - zsh: '$1'"; echo "#   got:  $got"; echo "#   want: $2"; failed=$((failed + 1)); fi
}
zcases=(
	"ckpt li"				"ckpt list "
	"ckpt he"				"ckpt help "
	"ckpt help ver"				"ckpt help verify "
	"ckpt --v"				"ckpt --version "
	"ckpt list --js"			"ckpt list --json "
	"ckpt list --by-"			"ckpt list --by-scope="
	"ckpt list --sort s"			"ckpt list --sort size "
	"ckpt list -s e"			"ckpt list -s elements "
	"ckpt list -f j"			"ckpt list -f json "
	"ckpt cast --to bf"			"ckpt cast --to bfloat16 "
	"ckpt merge -c f"			"ckpt merge -c first "
	"ckpt match --format p"			"ckpt match --format python "
	"ckpt list r"				"ckpt list run/"
	"ckpt list run/model.ckpt-1"		"ckpt list run/model.ckpt-1000 "
	"ckpt list run/model"			"ckpt list run/model.ckpt-"
	"ckpt list run/c"			"ckpt list run/checkpoint "
	"ckpt show -s run/c"			"ckpt show -s run/checkpoint "
	"ckpt diff -r run/c"			"ckpt diff -r run/c"
	"ckpt graph --check run/model.ckpt-5"	"ckpt graph --check run/model.ckpt-500 "
	"ckpt subset -o x -n run/model.ckpt-1"	"ckpt subset -o x -n run/model.ckpt-1000 "
	"ckpt import r"				"ckpt import run/"
)
if command -v zsh >/dev/null; then
	lines=()
	for ((i = 0; i < ${#zcases[@]}; i += 2)); do lines+=("${zcases[i]}"); done
	ROOT=$root timeout 60 zsh -f /dev/stdin "${lines[@]}" >"$dir/zsh.out" 2>&1 <<'EOF'
zmodload zsh/zpty || exit 1
zpty z env TERM=xterm zsh -f -i
zpty -w z 'PS1="> " RPS1=""; unsetopt beep; fpath=($ROOT/completion $fpath); autoload -Uz compinit; compinit -u -D; show() { print -r -- "<G""OT:$BUFFER:>" >/dev/tty; BUFFER=; zle accept-line }; zle -N show; bindkey "^M" show'
for line in "$@"; do
	zpty -w -n z "$line"$'\t'
	zpty -w -n z $'\r'
	zpty -r -m z out '*<GOT:*:>*' || exit 1
	out=${out##*<GOT:}
	print -r -- "${out%%:>*}"
done
zpty -d z
EOF
	n_z=1
	for ((i = 0; i < ${#zcases[@]}; i += 2)); do zcheck "${zcases[i]}" "${zcases[i+1]}"; done
else
	n=$((n + 1)); echo "ok $n # SKIP zsh not installed"
fi
echo "1..$n"
[ "$failed" = 0 ]
