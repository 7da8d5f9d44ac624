# SPDX-License-Identifier: MIT
# bash completion for tracer (installed by `make install` into
# share/bash-completion/completions/tracer)

_tracer_python_pids()
{
	local p comm
	for p in /proc/[0-9]*; do
		comm=$(cat "$p/comm" 2>/dev/null) || continue
		case $comm in python*|pypy*|uwsgi|gunicorn*|celery*) echo "${p#/proc/}" ;; esac
	done
}

_tracer()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi
	local i
	# after `--`: the command to launch
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} == -- ]]; then
			COMPREPLY=($(compgen -c -- "$cur"))
			return
		fi
	done
	case $prev in
	-p|--pid|--exclude-pid)
		COMPREPLY=($(compgen -W "$(_tracer_python_pids)" -- "$cur"))
		return ;;
	-o|--output)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-s|--strategy)
		COMPREPLY=($(compgen -W "usdt dispatch eval" -- "$cur"))
		return ;;
	--sort)
		COMPREPLY=($(compgen -W "self total calls" -- "$cur"))
		return ;;
	--cgroup)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	-d|--duration|-b|--buffer-size|--comm|--include|--omit|-r|--rate|--top)
		return ;;
	esac
	if [[ $cword -eq 1 && $cur != -* ]]; then
		COMPREPLY=($(compgen -W "record dump top report layout" -- "$cur"))
		return
	fi
	if [[ ${words[1]} == dump || ${words[1]} == top ]]; then
		COMPREPLY=($(compgen -W "--pid= -p --help $([[ ${words[1]} == dump ]] &&
			echo "--json -j --locals -l" || echo "--rate= -r --wall --duration= -d")" -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
		return
	fi
	if [[ ${words[1]} == report && $cur != -* ]]; then
		COMPREPLY=($(compgen -f -X '!*.trace' -- "$cur") $(compgen -d -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W "--all --async-tasks --buffer-size= --c-calls --cgroup= --comm= --coverage
		--duration= --exclude-pid= --fail-under= --include= --lines --omit= --output= --pid=
		--rate= --sample --sample= --sort= --strategy= --subtract-probe-cost --subprocesses --top= --verbose --wall
		--wall= --help --usage --version -a -b -d -f -o -p -r -s -v -V --" -- "$cur"))
	[[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
}
complete -F _tracer tracer
