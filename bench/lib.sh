# lib.sh: helpers for bench/run (sourced). Every wait is bounded; every
# process started is recorded in $dir/pids and stopped by bench_cleanup.

# Milliseconds on the monotonic-enough wall clock (GNU date).
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# note KEY VALUE: one measurement for the table (several rounds of one key
# make its median and spread).
note() {
	printf '%s\t%s\n' "$1" "$2" >>"$dir/results"
}

# jget JSON FIELD: a number (or null) from one flat JSON line.
jget() {
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\\([-0-9.a-z]*\\).*/\\1/p"
}

say() {
	printf '%s\n' "$*" >&2
}

# start NAME CMD...: runs CMD in the background, output to $dir/NAME.log.
start() {
	name=$1
	shift
	"$@" >"$dir/$name.log" 2>&1 &
	echo "$! $name" >>"$dir/pids"
	eval "pid_$(echo "$name" | tr -c 'a-z0-9\n' _)=$!"
}

# stop_pid PID: SIGTERM, then SIGKILL after 20 s (meshd drains every
# service in turn, each within MESH_DRAIN_MS).
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 2000 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

bench_cleanup() {
	if [ -f "$dir/pids" ]; then
		# Newest first: the load before what it loads.
		tac "$dir/pids" | while read -r p n; do
			stop_pid "$p"
		done
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "bench: kept $dir"
	else
		rm -rf "$dir"
	fi
}

# wait_file PATH TIMEOUT_MS: until PATH exists (a socket, a file).
wait_file() {
	end=$(($(now_ms) + $2))
	while [ ! -e "$1" ]; do
		[ "$(now_ms)" -lt $end ] || return 1
		sleep 0.005
	done
}

# wait_http URL TIMEOUT_MS: until URL answers 200.
wait_http() {
	end=$(($(now_ms) + $2))
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ]; do
		[ "$(now_ms)" -lt $end ] || return 1
		sleep 0.005
	done
}

# wait_line FILE PATTERN TIMEOUT_MS: until FILE has a line matching.
wait_line() {
	end=$(($(now_ms) + $3))
	until grep -q "$2" "$1" 2>/dev/null; do
		[ "$(now_ms)" -lt $end ] || return 1
		sleep 0.005
	done
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() {
	curl -s -o /dev/null --connect-timeout 1 "http://127.0.0.1:$1/"
	[ $? -eq 7 ]
}

# mesh_pids RUN_DIR: "name pid" of every running service meshd supervises.
mesh_pids() {
	MESH_RUN_DIR=$1 "$BIN/meshctl" --json status | tr '{' '\n' |
		sed -n 's/.*"name":"\([^"]*\)","pid":\([1-9][0-9]*\),.*/\1 \2/p'
}

# rss_kb PID FIELD: VmRSS or RssAnon of a process, in kB.
rss_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# pss_kb PID: proportional set size: each shared page divided among the
# processes that map it (what the process costs the machine; RSS counts
# a shared library's pages in full in every process).
pss_kb() {
	awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null
}

# wrk_run SCRIPT URL SECONDS: one wrk run (one thread, $CONNS connections);
# prints the report line of bench/report.lua.
wrk_run() {
	timeout $(($3 + 30)) wrk -t1 -c"$CONNS" -d"$3"s --timeout 5s \
		-s "$1" "$2" | grep '^{"requests"'
}

# groups_backlog REDIS_SOCK STREAM: "group last-delivered-id pending lag"
# per consumer group (lag "null" when Redis cannot tell).
groups_backlog() {
	redis-cli -s "$1" XINFO GROUPS "$2" 2>/dev/null | awk '
		prev == "name" { g = $0 }
		prev == "pending" { p = $0 }
		prev == "last-delivered-id" { d = $0 }
		prev == "lag" { print g, d, p, ($0 == "" ? "null" : $0) }
		{ prev = $0 }'
}

# cpu_ticks PID: user + system CPU time of a process, in clock ticks.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# child_ticks PID: the same for the children it has waited for (Redis:
# its AOF rewrites, forked and reaped).
child_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $14 + $15 }'
}
