# bash completion for ckpt: subcommands, their options (read from `ckpt CMD --help`), and
# checkpoint prefixes — `model.ckpt-1000` rather than its .index and .data-* files.

_ckpt_prefixes()
{
	local cur=$1 f
	local -A seen=()
	COMPREPLY=()
	# Folders, to descend into (and to name a training run or a SavedModel).
	while IFS= read -r f; do
		COMPREPLY+=("$f/")
	done < <(compgen -d -- "$cur")
	while IFS= read -r f; do
		case $f in
		*.index) f=${f%.index} ;;
		*.data-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]) f=${f%.data-*} ;;
		*/checkpoint | checkpoint | *.meta | *.pb) ;;
		*) continue ;;
		esac
		[ -n "${seen[$f]}" ] && continue
		seen[$f]=1
		COMPREPLY+=("$f")
	done < <(compgen -f -- "$cur")
	compopt -o nospace 2>/dev/null
	# A lone folder completes further instead of ending with a space.
	if [ ${#COMPREPLY[@]} -eq 1 ] && [ "${COMPREPLY[0]%/}" = "${COMPREPLY[0]}" ]; then
		compopt +o nospace 2>/dev/null
	fi
}

_ckpt()
{
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		local cmds
		cmds=$(ckpt --help 2>/dev/null | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }')
		COMPREPLY=($(compgen -W "$cmds help --help --version" -- "$cur"))
		return
	fi
	if [ "$cmd" = help ]; then
		COMPREPLY=($(compgen -W "$(ckpt --help 2>/dev/null | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }')" -- "$cur"))
		return
	fi
	case $prev in
	-s | --sort) COMPREPLY=($(compgen -W "name size elements offset" -- "$cur")); return ;;
	-f | --format)
		if [ "$cmd" = match ]; then
			COMPREPLY=($(compgen -W "table json python" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "table json tsv tf" -- "$cur"))
		fi
		return ;;
	-o | --output | --npy | --map | --map-out | --names-from | --html) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--rules | --check-against | --npz | --safetensors) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--preset) COMPREPLY=($(compgen -W "$(ckpt export --list-presets 2>/dev/null | awk '!/^#/ { print $1 }')" -- "$cur")); return ;;
	-i | --include | -x | --exclude | --match | -w | --width | -n | --atol | --rtol | --precision | --index | --last)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		local opts
		opts=$(ckpt "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*=\{0,1\}' | sort -u)
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		[[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
		return
	fi
	_ckpt_prefixes "$cur"
	# match: a TARGET may also be a names list or a safetensors file.
	if [ "$cmd" = match ]; then
		local f
		while IFS= read -r f; do
			case $f in *.safetensors | *.json | *.txt | *.tsv) COMPREPLY+=("$f") ;; esac
		done < <(compgen -f -- "$cur")
	fi
}
complete -F _ckpt ckpt
