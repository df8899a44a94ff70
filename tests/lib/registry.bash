# shellcheck shell=bash
# Start and stop real registries, token servers and fault proxies on
# 127.0.0.1 for the CLI tests; source this file from bats or bash.
#
# Everything runs on 127.0.0.1 on a free port picked at start (never 5000,
# never the system registry or its /etc/docker/registry config), under one
# temporary directory $REG_ROOT. Every process started here is recorded
# (with its start time, so a reused PID is never killed) and watched: it
# dies by itself within about a second once the shell that started it
# ($$, or $REG_OWNER_PID) is gone, or after $REG_LIFETIME seconds; when
# the shell that created $REG_ROOT is gone, the last watchdog removes it.
# So: start what a whole file shares in setup_file (owner: the file's
# process), call registry_stop_all in teardown_file; what a @test starts
# dies when that test ends.
#
# Usage in a bats file:
#   load ../lib/registry
#   setup_file() { registry_start reg tls-htpasswd; }
#   teardown_file() { registry_stop_all; }
#   @test x { curl --cacert "$REG_REG_CA" -u "$REG_REG_USER:$REG_REG_PASS" \
#             "$REG_REG_URL/v2/"; }
#
# Functions (each returns non-zero with a message on stderr on failure):
#
#   registry_start NAME [MODE]
#       Start /usr/bin/docker-registry (distribution 2.8) with its own
#       config, filesystem storage in a temp dir, delete enabled, and wait
#       until /v2/ answers. MODE is features joined by '-':
#         plain (default)  plain HTTP, no auth
#         tls              HTTPS, certificate for 127.0.0.1, ::1, localhost
#                          signed by the harness CA ($REG_CA_FILE)
#         htpasswd         Basic auth (bcrypt htpasswd file)
#         token            Bearer token auth; starts tests/lib/tokenserver.py
#         anon             with token: anonymous requests get pull access
#       token: the registry's own `auth: token` (realm, service, issuer,
#       rootcertbundle); the token server signs RS256 JWTs with the x5c
#       header (distribution 2.8 also accepts a libtrust "kid": set
#       REG_TOKEN_JWT_HEADER=kid). It answers GET with Basic credentials
#       and the OAuth2 POST password grant; wrong credentials get 401;
#       anonymous requests get a token with no access (so the registry
#       says insufficient_scope) unless the mode has anon.
#       e.g. plain, tls, htpasswd, tls-htpasswd, token, token-anon,
#       tls-token.
#   registry_stop NAME          stop that registry (and its token server)
#   registry_docker_config NAME FILE
#                               write a docker config.json with NAME's
#                               credentials for its address
#   proxy_start NAME UPSTREAM [--tls] [FAULTPROXY FLAGS...]
#       Start tests/lib/faultproxy.py in front of UPSTREAM (host:port for
#       http, https://host:port for https; pass --upstream-ca or it does
#       not verify). --tls makes the proxy itself serve HTTPS with the
#       harness CA. Flags: see `python3 tests/lib/faultproxy.py --help`.
#   proxy_stop NAME             stop that proxy
#   registry_stop_all           stop every process this file started
#                               under $REG_ROOT, then remove $REG_ROOT
#
# Exported variables (N is NAME upper-cased, other characters as '_'):
#
#   REG_ROOT            temp dir holding everything below
#   REG_CA_FILE         harness CA (PEM), once a tls registry/proxy exists
#   REG_N_ADDR          127.0.0.1:PORT          REG_N_PORT   PORT
#   REG_N_URL           http(s)://127.0.0.1:PORT
#   REG_N_SCHEME        http or https           REG_N_MODE   MODE
#   REG_N_CA            CA file for tls modes, else empty
#   REG_N_USER          user for htpasswd/token modes, else empty
#   REG_N_PASS          its password, else empty
#   REG_N_PID           registry PID            REG_N_LOG    its log file
#   REG_N_DIR           its dir (config.yml, storage/, htpasswd)
#   REG_N_CONFIG        its config file         REG_N_STORAGE storage dir
#   token mode also:
#   REG_N_REALM         http://127.0.0.1:TPORT/token
#   REG_N_SERVICE       preflight-test-registry REG_N_ISSUER issuer name
#   REG_N_TOKEN_PID     token server PID
#   REG_N_TOKEN_LOG     one line per token request: METHOD PATH?QUERY
#                       user=USER|- -> STATUS granted=type:name:actions
#
#   PROXY_N_ADDR        127.0.0.1:PORT          PROXY_N_PORT PORT
#   PROXY_N_URL         http(s)://127.0.0.1:PORT
#   PROXY_N_CA          CA file when --tls, else empty
#   PROXY_N_PID         proxy PID               PROXY_N_DIR  its dir
#   PROXY_N_PORTS       with --fault-each: the main port, then one per
#                       --fault-each value, space-separated
#   PROXY_N_LOG         one line per request received:
#       METHOD PATH host=HOST auth=no|Basic|Bearer|OTHER accept="..."
#       scheme=http|https stage=token|tag|digest|config|layer|-
#       range="..." side=front|redirected -> STATUS
#   PROXY_N_REALM_LOG   with --bearer-challenge: the query string of each
#                       request to the realm, one per line
#
# Knobs (environment, read at start): REG_OWNER_PID (default $$),
# REG_LIFETIME (seconds, default 3600), REG_START_TIMEOUT (seconds,
# default 15), REG_TOKEN_JWT_HEADER (x5c, kid or both; default x5c),
# TMPDIR; REG_STORAGE (read by registry_start: the storage directory to
# serve instead of a new empty one, e.g. another registry's
# $REG_N_STORAGE, for the same images over plain HTTP and TLS).

REG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REG_SERVICE_NAME=preflight-test-registry
REG_ISSUER_NAME=preflight-test-issuer
REG_USER_NAME=preflight

_reg_err() {
	echo "registry.bash: $*" >&2
	return 1
}

_reg_python() {
	if [ -x /usr/bin/python3 ]; then
		echo /usr/bin/python3
	else
		command -v python3
	fi
}

# The upper-cased variable stem of NAME.
_reg_var() {
	local v=${1^^}
	printf '%s' "${v//[^A-Z0-9]/_}"
}

_reg_root() {
	if [ -n "${REG_ROOT:-}" ] && [ -d "$REG_ROOT" ]; then
		return 0
	fi
	REG_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/preflight-reg.XXXXXX") ||
		_reg_err "cannot create a temp dir" || return 1
	export REG_ROOT
	: >"$REG_ROOT/pids"
	local owner=${REG_OWNER_PID:-$$}
	echo "$owner $(_reg_starttime "$owner")" >"$REG_ROOT/owner"
}

# A port free on 127.0.0.1 right now (the caller retries on a race).
_reg_free_port() {
	"$(_reg_python)" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Start time (clock ticks since boot) of PID, to never kill a reused PID.
_reg_starttime() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	local -a f
	read -r -a f <<<"$s"
	printf '%s' "${f[19]}"
}

# True while PID runs (a zombie does not count) and started at START.
_reg_alive() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ] || return 1
	[ -z "${2:-}" ] || [ "$(_reg_starttime "$1")" = "$2" ]
}

# Kill PID (recorded with START) and wait for it to go, bounded.
_reg_kill() {
	local pid=$1 start=$2 i
	_reg_alive "$pid" "$start" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		_reg_alive "$pid" "$start" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# Watchdog: end PID when OWNER is gone or after LIFE seconds; then, if
# the shell that made ROOT is gone too, remove ROOT.
_reg_watchdog() {
	set +eE
	trap - ERR DEBUG RETURN EXIT
	local pid=$1 start=$2 owner=$3 end=$((SECONDS + $4)) root=$5
	local rpid rstart
	while _reg_alive "$pid" "$start"; do
		if ! kill -0 "$owner" 2>/dev/null || ((SECONDS >= end)); then
			_reg_kill "$pid" "$start"
			break
		fi
		sleep 1
	done
	read -r rpid rstart 2>/dev/null <"$root/owner" || return 0
	_reg_alive "$rpid" "$rstart" && return 0
	case $root in */preflight-reg.*) rm -rf "$root" ;; esac
}

# Start CMD... in the background with its output in LOG, under a
# watchdog, recorded under TAG; its PID is left in _REG_PID.
_reg_spawn() {
	local tag=$1 log=$2
	shift 2
	local owner=${REG_OWNER_PID:-$$} life=${REG_LIFETIME:-3600}
	"$@" </dev/null >>"$log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	_REG_PID=$!
	local start
	start=$(_reg_starttime "$_REG_PID") || start=""
	_reg_watchdog "$_REG_PID" "$start" "$owner" "$life" "$REG_ROOT" \
		</dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	local wd=$! wdstart
	wdstart=$(_reg_starttime "$wd") || wdstart=""
	echo "$tag $_REG_PID ${start:-0} $wd ${wdstart:-0}" >>"$REG_ROOT/pids"
}

# Stop every recorded process whose tag matches the pattern TAG.
_reg_stop_tag() {
	local want=$1 tag pid start wd wdstart
	[ -f "${REG_ROOT:-}/pids" ] || return 0
	while read -r tag pid start wd wdstart; do
		# shellcheck disable=SC2053
		[[ $tag == $want ]] || continue
		_reg_kill "$wd" "$wdstart"
		_reg_kill "$pid" "$start"
	done <"$REG_ROOT/pids"
}

# Wait until FILE exists while PID lives; bounded by REG_START_TIMEOUT.
_reg_wait_file() {
	local file=$1 pid=$2 end=$((SECONDS + ${REG_START_TIMEOUT:-15}))
	while [ ! -s "$file" ]; do
		_reg_alive "$pid" || return 1
		((SECONDS <= end)) || return 1
		sleep 0.05
	done
}

# Wait until URL answers 200 or 401 while PID lives (CA for https).
_reg_wait_http() {
	local url=$1 pid=$2 ca=${3:-} code
	local end=$((SECONDS + ${REG_START_TIMEOUT:-15}))
	local -a opt=(-s -o /dev/null -w '%{http_code}' --max-time 2)
	[ -z "$ca" ] || opt+=(--cacert "$ca")
	while :; do
		code=$(curl "${opt[@]}" "$url" 2>/dev/null) || code=000
		case $code in 200 | 401) return 0 ;; esac
		_reg_alive "$pid" || return 1
		((SECONDS <= end)) || return 1
		sleep 0.05
	done
}

_reg_fail_log() {
	local what=$1 log=$2
	{
		echo "registry.bash: $what; last lines of $log:"
		tail -n 15 "$log" 2>/dev/null | sed 's/^/  | /'
	} >&2
	return 1
}

# The harness CA and a server certificate for 127.0.0.1, ::1, localhost.
_reg_ca() {
	local d="$REG_ROOT/ca" i
	if ! mkdir "$d" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do
			[ -f "$d/done" ] && break
			sleep 0.05
		done
		[ -f "$d/done" ] || _reg_err "CA in $d never finished" ||
			return 1
		export REG_CA_FILE="$d/ca.pem"
		return 0
	fi
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	openssl req -x509 "${ec[@]}" -keyout "$d/ca.key" -out "$d/ca.pem" \
		-days 7 -subj "/CN=image-preflight test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		>"$d/openssl.log" 2>&1 &&
		openssl req -new "${ec[@]}" -keyout "$d/server.key" \
			-out "$d/server.csr" -subj "/CN=localhost" \
			>>"$d/openssl.log" 2>&1 &&
		printf '%s\n' "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" \
			"basicConstraints=CA:FALSE" \
			"keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" >"$d/server.ext" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" \
			-CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
			-days 7 -extfile "$d/server.ext" -out "$d/server.pem" \
			>>"$d/openssl.log" 2>&1 ||
		_reg_fail_log "cannot create the test CA" "$d/openssl.log" ||
		return 1
	touch "$d/done"
	export REG_CA_FILE="$d/ca.pem"
}

# The RSA key and self-signed certificate that sign tokens.
_reg_token_keys() {
	local d="$REG_ROOT/token-ca" i
	if ! mkdir "$d" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do
			[ -f "$d/done" ] && return 0
			sleep 0.05
		done
		_reg_err "token key in $d never finished"
		return 1
	fi
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/token.key" \
		-out "$d/token.pem" -days 7 \
		-subj "/CN=image-preflight test token signer" \
		>"$d/openssl.log" 2>&1 ||
		_reg_fail_log "cannot create the token key" "$d/openssl.log" ||
		return 1
	touch "$d/done"
}

# Start the token server for registry NAME in DIR; sets _REG_REALM.
_reg_token_start() {
	local name=$1 dir=$2 user=$3 pass=$4 anon=$5
	_reg_token_keys || return 1
	local kd="$REG_ROOT/token-ca" pf="$dir/token.port"
	local -a args=(--port-file "$pf" --key "$kd/token.key"
		--cert "$kd/token.pem" --issuer "$REG_ISSUER_NAME"
		--service "$REG_SERVICE_NAME" --user "$user:$pass"
		--jwt-header "${REG_TOKEN_JWT_HEADER:-x5c}"
		--log "$dir/token.log")
	[ "$anon" = 0 ] || args+=(--anonymous-pull)
	: >"$dir/token.log"
	_reg_spawn "token-$name" "$dir/tokenserver.err" "$(_reg_python)" \
		"$REG_LIB_DIR/tokenserver.py" "${args[@]}" \
		--owner-pid "${REG_OWNER_PID:-$$}"
	local pid=$_REG_PID
	_reg_wait_file "$pf" "$pid" ||
		_reg_fail_log "token server for '$name' did not start" \
			"$dir/tokenserver.err" || return 1
	_REG_REALM="http://127.0.0.1:$(<"$pf")/token"
	local v
	v=$(_reg_var "$name")
	export "REG_${v}_TOKEN_PID=$pid" "REG_${v}_TOKEN_LOG=$dir/token.log"
}

# Write the registry config for DIR on PORT (see distribution's
# docs/configuration.md); the globals _REG_* say which auth and TLS.
_reg_config() {
	local dir=$1 port=$2
	cat <<EOF
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $_REG_STORAGE
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: $(openssl rand -hex 16)
  headers:
    X-Content-Type-Options: [nosniff]
EOF
	if [ "$_REG_TLS" = 1 ]; then
		cat <<EOF
  tls:
    certificate: $REG_ROOT/ca/server.pem
    key: $REG_ROOT/ca/server.key
EOF
	fi
	cat <<EOF
health:
  storagedriver:
    enabled: false
validation:
  manifests:
    urls:
      allow:
        - ^https?://
EOF
	if [ "$_REG_HTPASSWD" = 1 ]; then
		cat <<EOF
auth:
  htpasswd:
    realm: preflight-test
    path: $dir/htpasswd
EOF
	elif [ "$_REG_TOKEN" = 1 ]; then
		cat <<EOF
auth:
  token:
    realm: $_REG_REALM
    service: $REG_SERVICE_NAME
    issuer: $REG_ISSUER_NAME
    rootcertbundle: $REG_ROOT/token-ca/token.pem
EOF
	fi
}

# Parse MODE into _REG_TLS, _REG_HTPASSWD, _REG_TOKEN, _REG_ANON.
_reg_mode() {
	local mode=$1 f
	_REG_TLS=0 _REG_HTPASSWD=0 _REG_TOKEN=0 _REG_ANON=0
	for f in ${mode//-/ }; do
		case $f in
		plain) ;;
		tls) _REG_TLS=1 ;;
		htpasswd) _REG_HTPASSWD=1 ;;
		token) _REG_TOKEN=1 ;;
		anon) _REG_ANON=1 ;;
		*) _reg_err "unknown registry mode '$f' in '$mode'" || return 1 ;;
		esac
	done
	if [ "$_REG_HTPASSWD$_REG_TOKEN" = 11 ]; then
		_reg_err "mode '$mode': htpasswd and token exclude each other"
		return 1
	fi
	if [ "$_REG_ANON" = 1 ] && [ "$_REG_TOKEN" = 0 ]; then
		_reg_err "mode '$mode': anon needs token"
		return 1
	fi
}

# Run the registry on a free port, retrying when the port was taken.
_reg_launch() {
	local name=$1 dir=$2 scheme=$3 ca=$4 attempt port pid
	local -a unset_env=()
	local e
	# REGISTRY_* variables would override the config file.
	for e in $(compgen -e | grep '^REGISTRY_' || true); do
		unset_env+=(-u "$e")
	done
	for attempt in 1 2 3 4 5; do
		port=$(_reg_free_port) || return 1
		_reg_config "$dir" "$port" >"$dir/config.yml"
		echo "=== registry_start attempt $attempt port $port" \
			>>"$dir/registry.log"
		_reg_spawn "reg-$name" "$dir/registry.log" \
			env "${unset_env[@]}" /usr/bin/docker-registry serve \
			"$dir/config.yml"
		pid=$_REG_PID
		if _reg_wait_http "$scheme://127.0.0.1:$port/v2/" "$pid" "$ca"
		then
			_REG_PORT=$port _REG_LAUNCHED_PID=$pid
			return 0
		fi
		_reg_kill "$pid" ""
		if ! tail -n 5 "$dir/registry.log" |
			grep -q 'address already in use'; then
			break
		fi
	done
	_reg_fail_log "registry '$name' did not answer on $scheme://127.0.0.1:$port/v2/ within ${REG_START_TIMEOUT:-15}s" \
		"$dir/registry.log"
}

registry_start() {
	local name=${1:-} mode=${2:-plain}
	[ -n "$name" ] || _reg_err "usage: registry_start NAME [MODE]" ||
		return 1
	_reg_mode "$mode" || return 1
	_reg_root || return 1
	local v dir="$REG_ROOT/reg-$name" scheme=http ca="" user="" pass=""
	v=$(_reg_var "$name")
	[ ! -e "$dir" ] || _reg_err "registry '$name' already started" ||
		return 1
	# REG_STORAGE: serve that storage (e.g. another registry's) instead
	# of a new empty one
	_REG_STORAGE=${REG_STORAGE:-$dir/storage}
	mkdir -p "$dir" "$_REG_STORAGE" || return 1
	if [ "$_REG_TLS" = 1 ]; then
		_reg_ca || return 1
		scheme=https ca=$REG_CA_FILE
	fi
	if [ "$_REG_HTPASSWD$_REG_TOKEN" != 00 ]; then
		user=$REG_USER_NAME pass=$(openssl rand -hex 12)
	fi
	if [ "$_REG_HTPASSWD" = 1 ]; then
		htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd" 2>/dev/null ||
			_reg_err "htpasswd failed for '$name'" || return 1
	fi
	if [ "$_REG_TOKEN" = 1 ]; then
		_reg_token_start "$name" "$dir" "$user" "$pass" "$_REG_ANON" ||
			return 1
		export "REG_${v}_REALM=$_REG_REALM" \
			"REG_${v}_SERVICE=$REG_SERVICE_NAME" \
			"REG_${v}_ISSUER=$REG_ISSUER_NAME"
	fi
	_reg_launch "$name" "$dir" "$scheme" "$ca" || return 1
	export "REG_${v}_ADDR=127.0.0.1:$_REG_PORT" "REG_${v}_PORT=$_REG_PORT" \
		"REG_${v}_URL=$scheme://127.0.0.1:$_REG_PORT" \
		"REG_${v}_SCHEME=$scheme" "REG_${v}_MODE=$mode" \
		"REG_${v}_CA=$ca" "REG_${v}_USER=$user" "REG_${v}_PASS=$pass" \
		"REG_${v}_PID=$_REG_LAUNCHED_PID" \
		"REG_${v}_LOG=$dir/registry.log" "REG_${v}_DIR=$dir" \
		"REG_${v}_CONFIG=$dir/config.yml" \
		"REG_${v}_STORAGE=$_REG_STORAGE"
}

registry_stop() {
	local name=${1:?registry_stop: NAME missing}
	_reg_stop_tag "reg-$name"
	_reg_stop_tag "token-$name"
}

registry_docker_config() {
	local name=${1:?registry_docker_config: NAME missing}
	local file=${2:?registry_docker_config: FILE missing}
	local v addr user pass
	v=$(_reg_var "$name")
	addr=REG_${v}_ADDR user=REG_${v}_USER pass=REG_${v}_PASS
	[ -n "${!addr:-}" ] || _reg_err "registry '$name' not started" ||
		return 1
	printf '{"auths": {"%s": {"auth": "%s"}}}\n' "${!addr}" \
		"$(printf '%s:%s' "${!user}" "${!pass}" | base64 -w0)" >"$file"
}

proxy_start() {
	local name=${1:-} upstream=${2:-}
	[ -n "$name" ] && [ -n "$upstream" ] ||
		_reg_err "usage: proxy_start NAME UPSTREAM [--tls] [FLAGS...]" ||
		return 1
	shift 2
	_reg_root || return 1
	local v dir="$REG_ROOT/proxy-$name" scheme=http ca="" a
	v=$(_reg_var "$name")
	[ ! -e "$dir" ] || _reg_err "proxy '$name' already started" ||
		return 1
	mkdir -p "$dir" || return 1
	local -a args=()
	for a in "$@"; do
		if [ "$a" = --tls ]; then
			_reg_ca || return 1
			scheme=https ca=$REG_CA_FILE
			args+=(--tls-cert "$REG_ROOT/ca/server.pem"
				--tls-key "$REG_ROOT/ca/server.key")
		else
			args+=("$a")
		fi
	done
	: >"$dir/requests.log"
	: >"$dir/realm.log"
	_reg_spawn "proxy-$name" "$dir/proxy.err" "$(_reg_python)" \
		"$REG_LIB_DIR/faultproxy.py" --upstream "$upstream" \
		--port-file "$dir/port" --log "$dir/requests.log" \
		--realm-log "$dir/realm.log" --owner-pid "${REG_OWNER_PID:-$$}" \
		"${args[@]}"
	local pid=$_REG_PID port
	_reg_wait_file "$dir/port" "$pid" ||
		_reg_fail_log "proxy '$name' did not start" "$dir/proxy.err" ||
		return 1
	read -r port _ <"$dir/port"
	export "PROXY_${v}_PORTS=$(<"$dir/port")" \
		"PROXY_${v}_ADDR=127.0.0.1:$port" "PROXY_${v}_PORT=$port" \
		"PROXY_${v}_URL=$scheme://127.0.0.1:$port" "PROXY_${v}_CA=$ca" \
		"PROXY_${v}_PID=$pid" "PROXY_${v}_DIR=$dir" \
		"PROXY_${v}_LOG=$dir/requests.log" \
		"PROXY_${v}_REALM_LOG=$dir/realm.log"
}

proxy_stop() {
	_reg_stop_tag "proxy-${1:?proxy_stop: NAME missing}"
}

registry_stop_all() {
	[ -n "${REG_ROOT:-}" ] || return 0
	_reg_stop_tag '*'
	case $REG_ROOT in
	*/preflight-reg.*) rm -rf "$REG_ROOT" ;;
	esac
	unset REG_ROOT REG_CA_FILE
}
