# bash completion for mhaadm(8).
#
# Nothing here lists commands or options: they come from the command table
# of the mhaadm being completed ("mhaadm complete commands", "mhaadm
# complete options CMD"), and cluster names from its registry ("mhaadm
# complete clusters", which reads the registry only and never contacts a
# database host). A config the user cannot read completes no names, quietly.

_mhaadm()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local bin=${words[0]} i cmd="" cmdi=0
	local -a global=()
	# Global options stand before the command: -c FILE, --config=FILE, -v.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-c)
			global+=(-c "${words[i+1]}")
			((i++))
			;;
		--config=*)
			global+=("${words[i]}")
			;;
		-v | --verbose) ;;
		-*) ;;
		*)
			cmd=${words[i]}
			cmdi=$i
			break
			;;
		esac
	done

	if [[ $prev == -c ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-c --config= -v --verbose -h --help -V --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$bin" complete commands 2>/dev/null)" -- "$cur"))
		fi
		return
	fi

	case $prev in
	--password-file | --identity)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("$bin" complete options "$cmd" 2>/dev/null)" -- "$cur"))
		return
	fi
	# The first operand of the commands that take a cluster is its name.
	local operands=0
	for ((i = cmdi + 1; i < cword; i++)); do
		[[ ${words[i]} == -* ]] || ((operands++))
	done
	((operands == 0)) || return
	case $cmd in
	del | list | ls | history | start | stop | keys | doctor | switch)
		local extra=""
		case $cmd in list | ls | history | start | stop | doctor) extra=all ;; esac
		COMPREPLY=($(compgen -W "$extra $("$bin" "${global[@]}" complete clusters 2>/dev/null)" -- "$cur"))
		;;
	help)
		COMPREPLY=($(compgen -W "$("$bin" complete commands 2>/dev/null)" -- "$cur"))
		;;
	notify)
		COMPREPLY=($(compgen -W "test" -- "$cur"))
		;;
	esac
} && complete -F _mhaadm mhaadm
