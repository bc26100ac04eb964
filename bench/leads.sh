# leads.sh: sections 3-5 of bench/run (sourced): the lead flow through
# meshd with the real manifest, the footprint, restarts and a deploy under
# load.

LD=$dir/leads
REDIS_SOCK=$LD/redis/redis.sock
STREAM=events:lead.created

# footprint TAG: RSS, anonymous memory and PSS of meshd, Redis and every
# service meshd runs.
list_pids() {
	mesh_pids "$LD" >"$dir/pids.now"
	echo "meshd $pid_meshd" >>"$dir/pids.now"
	rpid=$(MESH_RUN_DIR="$LD" "$BIN/meshctl" --json status | tr -d ' \n' |
		sed -n 's/.*"redis":{[^}]*"pid":\([0-9]*\).*/\1/p')
	[ -z "$rpid" ] || echo "redis-server $rpid" >>"$dir/pids.now"
}

footprint() {
	total=0
	list_pids
	while read -r name p; do
		rss=$(rss_kb "$p" VmRSS)
		anon=$(rss_kb "$p" RssAnon)
		pss=$(pss_kb "$p")
		[ -n "$rss" ] || continue
		note "rss.$1.$name" "$rss"
		note "anon.$1.$name" "$anon"
		[ -z "$pss" ] || note "pss.$1.$name" "$pss"
		total=$((total + rss))
	done <"$dir/pids.now"
	note "rss.$1.TOTAL" $total
}

# cpu_snapshot FILE: "name pid ticks" of meshd, Redis and every service,
# and of Redis's AOF rewrites (its children: not in its own ticks, and
# the rewrite runs on the same cores).
cpu_snapshot() {
	while read -r name p; do
		echo "$name $p $(cpu_ticks "$p")"
		[ "$name" != redis-server ] ||
			echo "redis-rewrites $p $(child_ticks "$p")"
	done <"$dir/pids.now" | sort >"$1"
}

# leads_run SECONDS [OUT]: one wrk run of the lead script whose leads are
# new to this Redis: LEADS_FROM starts its numbering past every lead the
# runs before it can have sent (answered, failed, or in flight when wrk
# stopped: at most one per connection). Writes wrk's line to OUT.
leads_from=0
leads_run() {
	# Exported: an assignment before a function call need not reach the
	# commands the function runs.
	LEADS_FROM=$leads_from
	export LEADS_FROM
	wrk_run "$dir/leads.lua" "$url" "$1" >"${2:-$dir/leads.out}"
	o=$(cat "${2:-$dir/leads.out}")
	n=$(jget "$o" requests)
	e=$(jget "$o" socket_errors)
	w=$(jget "$o" timeouts)
	# No report from wrk: how many it sent is unknown; skip far ahead.
	[ -n "$n" ] || n=100000
	leads_from=$((leads_from + n + ${e:-0} + ${w:-0} + CONNS))
}

# aof_rewrites: how many AOF rewrites Redis has finished since it started.
aof_rewrites() {
	redis-cli -s "$REDIS_SOCK" INFO persistence 2>/dev/null | tr -d '\r' |
		sed -n 's/^aof_rewrites://p'
}

# created: leads stored so far (entries ever added to lead.created).
created() {
	redis-cli -s "$REDIS_SOCK" XINFO STREAM $STREAM 2>/dev/null |
		awk 'prev == "entries-added" { print; exit } { prev = $0 }'
}

# drain TAG: from now until every consumer group of lead.created has been
# delivered the stream's last entry and has nothing pending; notes the
# time per group and overall, and the backlog when it started.
drain() {
	t0=$(now_ms)
	last=$(redis-cli -s "$REDIS_SOCK" XINFO STREAM $STREAM 2>/dev/null |
		awk 'prev == "last-generated-id" { print; exit } { prev = $0 }')
	[ -n "$last" ] || { note "drain.$1.ALL" null; return; }
	: >"$dir/drained"
	first=1
	while :; do
		groups_backlog "$REDIS_SOCK" $STREAM >"$dir/groups"
		if [ $first = 1 ]; then
			while read -r g delivered pending lag; do
				[ "$lag" != null ] || lag=0
				note "backlog.$1.$g" $((pending + lag))
			done <"$dir/groups"
			first=0
		fi
		t=$(($(now_ms) - t0))
		undrained=0
		while read -r g delivered pending lag; do
			if [ "$pending" = 0 ] && [ "$delivered" = "$last" ]; then
				grep -qx "$g" "$dir/drained" || {
					echo "$g" >>"$dir/drained"
					note "drain.$1.$g" $t
				}
			else
				undrained=1
			fi
		done <"$dir/groups"
		if [ $undrained = 0 ]; then
			note "drain.$1.ALL" $t
			return
		fi
		if [ $t -ge $DRAIN_MAX_MS ]; then
			note "drain.$1.ALL" "null"
			return
		fi
		sleep 0.01
	done
}

say "bench: 3. lead flow through meshd and proto/mesh.json"
start fake_slack "$BUILD/bench/fake_slack" $P_SLACK
wait_http "http://127.0.0.1:$P_SLACK/count" 5000
t_boot=$(now_ms)
start meshd env MESH_RUN_DIR="$LD" MESH_BIN_DIR="$BIN" \
	MESH_MANIFEST="$root/proto/mesh.json" PORT=$P_LEADS \
	LOG_LEVEL=info RATE_LIMIT_PER_IP=1000000 \
	SLACK_WEBHOOK_URL="http://127.0.0.1:$P_SLACK/services/TBENCH/BBENCH/x" \
	"$BIN/meshd"
wait_line "$dir/meshd.log" "leadmesh is up" 30000 ||
	{ say "bench: meshd did not come up"; cat "$dir/meshd.log" >&2; exit 1; }
note boot.up_ms $(($(now_ms) - t_boot))
# /readyz is 200 once every routed service is up: with services not built
# yet it cannot be, so also note when every built one is up in it.
awk '$1 == "skipped" { print $2 }' "$dir/meshd.log" >"$dir/skipped"
end=$(($(now_ms) + 5000))
while :; do
	code=$(curl -s -o "$dir/readyz" -w '%{http_code}' \
		"http://127.0.0.1:$P_LEADS/readyz" || true)
	tr ',' '\n' <"$dir/readyz" |
		sed -n 's/.*"\([a-z-]*\)":"down".*/\1/p' >"$dir/down"
	if [ "$code" = 200 ]; then
		note boot.readyz_ms $(($(now_ms) - t_boot))
		note boot.readyz_built_ms $(($(now_ms) - t_boot))
		break
	fi
	if ! grep -qvxF -f "$dir/skipped" "$dir/down"; then
		note boot.readyz_built_ms $(($(now_ms) - t_boot))
		note boot.readyz_ms null
		note info.readyz_down "$(tr '\n' ' ' <"$dir/down")"
		break
	fi
	if [ "$(now_ms)" -ge $end ]; then
		note boot.readyz_ms null
		note info.readyz_down "$(tr '\n' ' ' <"$dir/down")"
		break
	fi
	sleep 0.005
done
awk '$1 == "ready" { print $2, $5 }' "$dir/meshd.log" |
	while read -r name ms; do note "ready.$name" "$ms"; done
note info.skipped "$(awk '$1 == "skipped" { printf "%s ", $2 }' \
	"$dir/meshd.log")"
sleep 1
footprint idle

t=$(now_ms)
(cd "$root" && MESH_RUN_DIR="$LD" "$BIN/meshctl" call comps import \
	@examples/comps.json >"$dir/seed.log" 2>&1) ||
	{ say "bench: seeding comps failed"; cat "$dir/seed.log" >&2; exit 1; }
note info.seed_ms $(($(now_ms) - t))
cat "$here/leads.lua" "$here/report.lua" >"$dir/leads.lua"
url="http://127.0.0.1:$P_LEADS"
leads_run 3 # warm: caches, connections
drain warm
created0=$(created)
list_pids
cpu_snapshot "$dir/cpu.before"
rewrites0=$(aof_rewrites)
redis-cli -s "$REDIS_SOCK" CONFIG RESETSTAT >/dev/null
leads=0
: >"$dir/lead.rates"
r=1
while [ $r -le "$ROUNDS" ]; do
	leads_run "$SECS"
	out=$(cat "$dir/leads.out")
	for k in per_s p50_us p99_us requests; do
		note lead.$k "$(jget "$out" $k)"
	done
	note lead.errors $(($(jget "$out" non2xx) + \
		$(jget "$out" socket_errors) + $(jget "$out" timeouts)))
	leads=$((leads + $(jget "$out" requests)))
	echo "$(jget "$out" per_s)" >>"$dir/lead.rates"
	drain r$r
	r=$((r + 1))
done
# Where the CPU went: each process's user+system time from before the
# first round to the end of the last drain, per lead.
cpu_snapshot "$dir/cpu.after"
hz=$(getconf CLK_TCK)
join "$dir/cpu.before" "$dir/cpu.after" 2>/dev/null | while read -r name p0 t0 p1 t1; do
	[ "$p0" = "$p1" ] && [ $leads -gt 0 ] || continue
	note "cpu.$name" $(((t1 - t0) * 1000000 / hz / leads))
done
note info.leads $leads
note info.aof_rewrites $(($(aof_rewrites) - ${rewrites0:-0}))
# Every answered lead must have been a new one (201 and an event); a 200
# "duplicate" is the cheap path and would flatter every figure above.
note info.leads_created $(($(created) - ${created0:-0}))
# Redis's own time per lead, by command: the top five.
redis-cli -s "$REDIS_SOCK" INFO commandstats | tr -d '\r' | awk -F'[:,=]' \
	-v n=$leads '/^cmdstat_/ && n > 0 {
		printf "%s %.0f %.1f\n", substr($1, 9), $5 / n, $3 / n }' |
	sort -k2 -rn | head -5 | while read -r cmd us calls; do
		note "redis.$cmd" "$us us, $calls calls"
	done
note info.stream_len "$(redis-cli -s "$REDIS_SOCK" XLEN $STREAM)"
note info.dead_letters "$(redis-cli -s "$REDIS_SOCK" XLEN $STREAM:dead)"
note info.slack_posts "$(curl -s "http://127.0.0.1:$P_SLACK/count")"
footprint load

# Below saturation: the rounds above keep 32 leads in flight, so their
# latency is mostly queueing. Here each connection waits a random think
# time between leads (bench/leads.lua, LEADS_PACE_MS) for about PCT % of
# the rate the rounds sustained (their median): the latency a lead sees
# on a box that keeps up.
rate=$(sort -n "$dir/lead.rates" | awk '{ a[NR] = $1 }
	END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
for pct in 10 50; do
	asked=$(awk -v r="${rate:-0}" -v p=$pct 'BEGIN { printf "%d", r * p / 100 }')
	[ "$asked" -gt 0 ] || break
	LEADS_PACE_MS=$((CONNS * 1000 / asked))
	export LEADS_PACE_MS
	leads_run "$SECS" "$dir/paced.out"
	unset LEADS_PACE_MS
	out=$(cat "$dir/paced.out")
	note lead.pace$pct.asked "$asked"
	for k in per_s p50_us p99_us; do
		note lead.pace$pct.$k "$(jget "$out" $k)"
	done
	note lead.pace$pct.errors $(($(jget "$out" non2xx) + \
		$(jget "$out" socket_errors) + $(jget "$out" timeouts)))
	drain pace$pct
done

say "bench: 5. deploy valuation under load, then kill -9 each service"
est='{"zip":"78704","sqft":1200,"beds":3,"baths":2}'
(MESH_RUN_DIR="$LD" MESH_MANIFEST="$root/proto/mesh.json" LOG_LEVEL=warn \
	timeout 60 "$BUILD/bench/rtt_mesh" -s valuation -m estimate -a "$est" \
	-v sqft -d 8 -t 8 -n 1000000 -w 0 >"$dir/deploy.calls") &
calls_pid=$!
(leads_run 8 "$dir/deploy.http") &
http_pid=$!
sleep 2
t=$(now_ms)
if MESH_RUN_DIR="$LD" timeout 60 "$BIN/meshctl" deploy valuation \
	>"$dir/deploy.log" 2>&1; then
	note deploy.ms $(($(now_ms) - t))
else
	note deploy.ms null
	say "bench: meshctl deploy valuation failed: $(cat "$dir/deploy.log")"
fi
wait $calls_pid || true
wait $http_pid || true
calls=$(cat "$dir/deploy.calls")
http=$(cat "$dir/deploy.http")
note deploy.calls "$(jget "$calls" n)"
note deploy.calls_failed "$(jget "$calls" failed)"
note deploy.http "$(jget "$http" requests)"
note deploy.http_failed $(($(jget "$http" non2xx) + \
	$(jget "$http" socket_errors) + $(jget "$http" timeouts)))
drain deploy

mesh_pids "$LD" >"$dir/pids.kill"
while read -r name p; do
	out=$(MESH_RUN_DIR="$LD" timeout 30 "$BUILD/bench/mesh_wait" "$name" \
		"$p" 10000 || true)
	note "restart.$name" "$(jget "$out" answered_ms)"
	# meshd doubles a crashed service's backoff; one kill each.
done <"$dir/pids.kill"
t=$(now_ms)
stop_pid "$pid_meshd"
note info.stop_ms $(($(now_ms) - t))
stop_pid "$pid_fake_slack"
