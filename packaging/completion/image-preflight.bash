# shellcheck shell=bash
# bash completion for image-preflight: the commands, each command's own
# options (those 'image-preflight help COMMAND' lists), and the values of
# -o, --runtime, --platform, --page-size and the file options.

# The options of command $1 ("" before any command), one line.
_image_preflight_options() {
	local fetch='--timeout -q --quiet -v --verbose --creds --ca-file
		--insecure-registry --authfile --runtime'
	local gate='--require-platform --compare-to --strict --entrypoint'
	case $1 in
	check) echo "--platform -o --output --page-size --root $fetch $gate" \
		"-h --help" ;;
	kubeadm) echo "--config --kubernetes-version --platform -o --output" \
		"--page-size --root $fetch $gate -h --help" ;;
	inspect) echo "--platform -o --output --root $fetch -h --help" ;;
	host) echo "--platform -o --output --page-size --root -h --help" ;;
	*) echo "-h --help --version" ;;
	esac
}

# Whether option $1 takes a value (as the next word or after '=').
_image_preflight_takes_value() {
	case $1 in
	--platform | -o | --output | --timeout | --root | --creds | \
		--ca-file | --insecure-registry | --authfile | --runtime | \
		--entrypoint | --page-size | --require-platform | \
		--compare-to | --config | --kubernetes-version) return 0 ;;
	esac
	return 1
}

# Platforms a node commonly is (containerd's names).
_image_preflight_platforms='linux/amd64 linux/arm64 linux/arm/v7 linux/arm/v6
	linux/ppc64le linux/s390x linux/riscv64 linux/386 linux/loong64
	linux/amd64/v2 linux/amd64/v3 linux/arm64/v8'

# Candidates for the value of option $1 of command $2 into COMPREPLY.
_image_preflight_values() {
	local cur=$3 words=''
	case $1 in
	-o | --output)
		words='text json'
		case $2 in check | kubeadm | '') words="$words kubeadm" ;; esac ;;
	--runtime) words='auto any containerd cri-o' ;;
	--platform)
		words=$_image_preflight_platforms
		case $2 in check | kubeadm | '') words="$words all" ;; esac ;;
	--require-platform) words=$_image_preflight_platforms ;;
	--page-size) words='4096 16384 65536' ;;
	--root)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return ;;
	--ca-file | --authfile | --config)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	esac
	# shellcheck disable=SC2086 # a list of words, split on purpose
	mapfile -t COMPREPLY < <(compgen -W "$(echo $words)" -- "$cur")
}

_image_preflight() {
	local cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]}
	local prev='' cmd='' word i
	local commands='check kubeadm inspect host help'

	COMPREPLY=()
	# COMP_WORDBREAKS splits "--output=js" into "--output" "=" "js".
	if [ "$cur" = "=" ]; then
		cur=''
		prev=${COMP_WORDS[cword - 1]}
	elif [ "$cword" -ge 2 ] && [ "${COMP_WORDS[cword - 1]}" = "=" ]; then
		prev=${COMP_WORDS[cword - 2]}
	elif [ "$cword" -ge 1 ]; then
		prev=${COMP_WORDS[cword - 1]}
	fi
	# The command is the first word that is neither an option nor the
	# value of one; options may come before it.
	for ((i = 1; i < cword; i++)); do
		word=${COMP_WORDS[i]}
		if [ "${COMP_WORDS[i + 1]}" = "=" ]; then
			i=$((i + 2))
		elif _image_preflight_takes_value "$word"; then
			i=$((i + 1))
		elif [ "${word#-}" = "$word" ] && [ "$word" != "=" ]; then
			cmd=$word
			break
		fi
	done
	if _image_preflight_takes_value "$prev"; then
		_image_preflight_values "$prev" "$cmd" "$cur"
		return 0
	fi
	case $cur in
	-*)
		# shellcheck disable=SC2046 # a list of words, split on purpose
		mapfile -t COMPREPLY < <(compgen -W \
			"$(echo $(_image_preflight_options "$cmd"))" -- "$cur")
		return 0 ;;
	esac
	if [ -z "$cmd" ]; then
		mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
	elif [ "$cmd" = help ] && [ "$i" -eq $((cword - 1)) ]; then
		mapfile -t COMPREPLY < <(compgen -W "${commands% help}" -- "$cur")
	fi
	return 0
}

complete -F _image_preflight image-preflight
