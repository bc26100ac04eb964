# table.awk: the one table of bench/run. Input: the header lines, then
# the results file ("key<TAB>value", one line per round). A cell is the
# median over rounds with (min..max); a ratio is the median of the
# per-round ratios (each pair measured back to back in the same round).

FNR == NR { header[++nh] = $0; next }
{
	split($0, kv, "\t")
	add(kv[1], kv[2])
	# The drain of each measured round, per consumer group, pooled.
	if (kv[1] ~ /^(drain|backlog)\.r[0-9]+\./) {
		g = kv[1]
		sub(/^[a-z]+\.r[0-9]+\./, "", g)
		add(substr(kv[1], 1, index(kv[1], ".") - 1) "all." g, kv[2])
		if (!(g in dg)) { dg[g] = 1; groups[++ng] = g }
	}
}

function add(k, x) {
	v[k, ++cnt[k]] = x
	if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
}

function num(x) { return x != "" && x != "null" && x ~ /^-?[0-9.]+$/ }

# Median, min and max of key k's numeric values (scaled by s).
function stats(k, s,    i, n, a, j, t) {
	n = 0
	for (i = 1; i <= cnt[k]; i++)
		if (num(v[k, i])) a[++n] = v[k, i] / s
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	st_n = n
	if (n == 0) return 0
	st_med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	st_min = a[1]; st_max = a[n]
	return 1
}

# Per-round ratios a_i / b_i into key "ratio:a/b".
function ratio(a, b,    i, rk) {
	rk = "ratio:" a "/" b
	if (rk in cnt) return rk
	cnt[rk] = 0
	for (i = 1; i <= cnt[a] && i <= cnt[b]; i++)
		if (num(v[a, i]) && num(v[b, i]) && v[b, i] > 0)
			v[rk, ++cnt[rk]] = v[a, i] / v[b, i]
	return rk
}

function fmt(x) {
	if (x == int(x)) return sprintf("%d", x)
	if (x >= 10000) return sprintf("%.0f", x)
	if (x >= 100) return sprintf("%.0f", x)
	if (x >= 10) return sprintf("%.1f", x)
	return sprintf("%.2f", x)
}

# A cell: "median (min..max)", or "median" for one round, "-" for none.
function cell(k, s) {
	if (!(k in cnt) || !stats(k, s)) return "-"
	if (st_n == 1 || st_min == st_max) return fmt(st_med)
	return fmt(st_med) " (" fmt(st_min) ".." fmt(st_max) ")"
}

function rcell(k) {
	if (!stats(k, 1)) return "-"
	if (st_n == 1) return sprintf("%.2fx", st_med)
	return sprintf("%.2fx (%.2f..%.2f)", st_med, st_min, st_max)
}

# verdict(k, op, limit, scale): the median against the target.
function verdict(k, op, lim, s) {
	if (!(k in cnt) || !stats(k, s)) return "n/a"
	if (op == "<=") return st_med <= lim ? "ok" : "MISS"
	if (op == "<") return st_med < lim ? "ok" : "MISS"
	if (op == ">=") return st_med >= lim ? "ok" : "MISS"
	if (op == "==") return st_med == lim ? "ok" : "MISS"
	return "-"
}

# A row comparing key a with key b: both cells, their per-round ratio and,
# when op is given, the ratio's verdict against lim.
function pair(label, a, b, op, lim,    rk) {
	rk = ratio(a, b)
	row(label, cell(a, 1), cell(b, 1), rcell(rk),
		op == "" ? "" : sprintf("%s %.2fx", op, lim),
		op == "" ? "" : verdict(rk, op, lim, 1))
}

function row(label, ours, base, rat, target, ok) {
	printf "%-34s %-26s %-26s %-22s %-10s %s\n", label, ours, base, rat,
		target, ok
}

function section(title) {
	printf "\n%s\n", title
}

function str(k) { return (k in cnt) ? v[k, cnt[k]] : "" }

# The largest median among keys starting with prefix (and its key).
function worst(prefix,    i, best) {
	best = -1; worst_key = ""
	for (i = 1; i <= nk; i++)
		if (index(order[i], prefix) == 1 && stats(order[i], 1) &&
		    st_med > best) {
			best = st_med; worst_key = order[i]
		}
	return best
}

END {
	for (i = 1; i <= nh; i++) print header[i]
	row("", "leadmesh", "baseline", "ratio", "target", "")

	section("1. One hop: mesh call (echo.echo, ~50 B JSON) vs. raw Unix-socket ping-pong (64 B; one message per syscall, or batched)")
	pair("sequential p50 us", "hop.mesh.p50_us", "hop.raw.p50_us", "<=", 2)
	pair("sequential p99 us", "hop.mesh.p99_us", "hop.raw.p99_us", "", 0)
	pair("sequential calls/s", "hop.mesh.per_s", "hop.raw.per_s", "", 0)
	pair("64 in flight: calls/s",
		"pipe.mesh.per_s", "pipe.raw.per_s", ">=", 0.3)
	pair("64 in flight: calls/s, raw batched",
		"pipe.mesh.per_s", "batch.raw.per_s", "", 0)
	row("64 in flight: p50 us", cell("pipe.mesh.p50_us", 1),
		cell("pipe.raw.p50_us", 1), "", "", "")
	row("64 in flight: p99 us", cell("pipe.mesh.p99_us", 1),
		cell("pipe.raw.p99_us", 1), "", "", "")
	stats("hop.mesh.failed", 1); a = st_med
	stats("pipe.mesh.failed", 1)
	row("failed calls (median)", a "+" st_med, "", "", "== 0",
		a + st_med == 0 ? "ok" : "MISS")

	section("2. Gateway: wrk POST, same JSON answered; gateway = HTTP -> echo.echo (one mesh call, as nginx makes one hop); limited = rate-limit.hit (Redis) first")
	pair("req/s: gateway vs. nginx",
		"http.gw.per_s", "http.nginx.per_s", ">=", 1)
	pair("p50 us: gateway vs. nginx",
		"http.gw.p50_us", "http.nginx.p50_us", "", 0)
	pair("p99 us: gateway vs. nginx",
		"http.gw.p99_us", "http.nginx.p99_us", "<=", 1)
	pair("req/s: gateway vs. evhttp alone",
		"http.gw.per_s", "http.bare.per_s", ">=", 0.7)
	pair("req/s: limited route vs. nginx",
		"http.gwrl.per_s", "http.nginx.per_s", "", 0)
	pair("p99 us: limited route vs. nginx",
		"http.gwrl.p99_us", "http.nginx.p99_us", "", 0)
	pair("req/s: nginx vs. evhttp alone",
		"http.nginx.per_s", "http.bare.per_s", "", 0)
	row("p50/p99 us: evhttp alone", cell("http.bare.p50_us", 1),
		cell("http.bare.p99_us", 1), "", "", "")
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (k !~ /^httpcpu\./) continue
		t = k; sub(/^httpcpu\./, "", t)
		row("CPU ns per request: " t, cell(k, 1), "", "", "", "")
	}
	stats("http.gw.errors", 1); a = st_med
	stats("http.gwrl.errors", 1); l = st_med
	stats("http.nginx.errors", 1); b = st_med
	stats("http.bare.errors", 1)
	row("errors gateway/limited/nginx/alone", a "/" l "/" b "/" st_med,
		"", "", "== 0", a + l + b + st_med == 0 ? "ok" : "MISS")
	row("rate-limit.hit / limited route calls", str("info.rate_limit_hits"),
		str("info.gw_requests"), "", "", "")

	section("3. Lead flow: POST /api/leads, distinct leads, meshd + proto/mesh.json")
	row("leads/s", cell("lead.per_s", 1), "", "", ">= 5000",
		verdict("lead.per_s", ">=", 5000, 1))
	row("p50 ms", cell("lead.p50_us", 1000), "", "", "", "")
	row("p99 ms", cell("lead.p99_us", 1000), "", "", "< 10",
		verdict("lead.p99_us", "<", 10, 1000))
	row("errors (non-2xx, socket, timeout)", cell("lead.errors", 1), "", "",
		"== 0", verdict("lead.errors", "==", 0, 1))
	# Paced runs (bench/leads.sh): one each, after the rounds.
	for (i = 1; i <= 2; i++) {
		pct = i == 1 ? 10 : 50
		p = "lead.pace" pct "."
		if (!((p "per_s") in cnt)) continue
		row("paced " pct "%: leads/s (asked)",
			str(p "per_s") " (" str(p "asked") ")", "", "", "", "")
		row("paced " pct "%: p50 / p99 ms",
			fmt(str(p "p50_us") / 1000) " / " fmt(str(p "p99_us") / 1000),
			"", "", "", "")
		row("paced " pct "%: errors", str(p "errors"),
			"", "", "== 0", str(p "errors") == 0 ? "ok" : "MISS")
	}
	for (i = 1; i <= ng; i++) {
		g = groups[i]
		if (g != "ALL") {
			row("drain ms: " g, cell("drainall." g, 1),
				"backlog " cell("backlogall." g, 1), "", "", "")
			continue
		}
		ok = "n/a"
		if (stats("drainall.ALL", 1)) ok = st_max <= 2000 ? "ok" : "MISS"
		row("drain ms: every group", cell("drainall.ALL", 1), "", "",
			"max <= 2000", ok)
	}
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (k !~ /^cpu\./) continue
		cpu_total += v[k, cnt[k]]
		row("CPU us per lead: " substr(k, 5), cell(k, 1), "", "", "", "")
	}
	if (cpu_total)
		row("CPU us per lead: TOTAL", fmt(cpu_total),
			"= " fmt(2e6 / cpu_total) " leads/s on 2 cores", "", "", "")
	if ("info.aof_rewrites" in cnt)
		row("AOF rewrites during the rounds", str("info.aof_rewrites"),
			"", "", "", "")
	# Redis runs every command on one thread: however many cores the box
	# has, it serves at most this many leads per second (its I/O could
	# move to io-threads; its commands cannot).
	if (("cpu.redis-server" in cnt) && str("cpu.redis-server") > 0)
		row("Redis ceiling, one thread",
			fmt(1e6 / str("cpu.redis-server")) " leads/s",
			"= 1e6 / Redis us per lead", "", "", "")
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (k !~ /^redis\./) continue
		row("Redis per lead: " substr(k, 7), str(k), "", "", "", "")
	}
	# Leads stored may exceed leads answered by those in flight when wrk
	# stopped; fewer means some were answered as duplicates.
	dup = str("info.leads") - str("info.leads_created")
	row("new leads stored / answered", str("info.leads_created"),
		str("info.leads"), "", "all new",
		("info.leads_created" in cnt) ? (dup <= 0 ? "ok" : "MISS") : "n/a")
	row("slack posts / stream length", str("info.slack_posts"),
		str("info.stream_len"), "", "", "")
	row("dead letters (lead.created)", str("info.dead_letters"), "", "",
		"", "")

	section("4. Footprint: RSS MB idle (anon, PSS) | after the lead flow; boot")
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (k !~ /^rss\.idle\./) continue
		name = substr(k, 10)
		if (name == "TOTAL") continue
		svc = name != "meshd" && name != "redis-server"
		row(name, cell(k, 1024) " (" cell("anon.idle." name, 1024) ", " \
			cell("pss.idle." name, 1024) ")",
			cell("rss.load." name, 1024), "", svc ? "< 5" : "",
			svc ? verdict(k, "<", 5, 1024) : "")
	}
	row("TOTAL", cell("rss.idle.TOTAL", 1024), cell("rss.load.TOTAL", 1024),
		"", "", "")
	row("meshd start -> all up ms", cell("boot.up_ms", 1), "", "", "", "")
	row("meshd start -> /readyz 200 ms", cell("boot.readyz_ms", 1), "", "",
		"< 1000", verdict("boot.readyz_ms", "<", 1000, 1))
	row("  -> every built service up", cell("boot.readyz_built_ms", 1), "",
		"", "< 1000", verdict("boot.readyz_built_ms", "<", 1000, 1))
	if (str("info.readyz_down") != "")
		printf "  /readyz down: %s\n", str("info.readyz_down")
	w = worst("ready.")
	row("slowest process ready ms", w >= 0 ? fmt(w) : "-",
		substr(worst_key, 7), "", "< 1000", w >= 0 ? (w < 1000 ? "ok" : "MISS") : "n/a")

	section("5. Restart (kill -9 -> answers _health) and deploy under load")
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (k !~ /^restart\./) continue
		row("restart ms: " substr(k, 9), cell(k, 1), "", "", "", "")
	}
	row("deploy valuation: mesh calls", cell("deploy.calls", 1),
		"failed " cell("deploy.calls_failed", 1), "", "== 0",
		verdict("deploy.calls_failed", "==", 0, 1))
	row("deploy valuation: HTTP leads", cell("deploy.http", 1),
		"failed " cell("deploy.http_failed", 1), "", "== 0",
		verdict("deploy.http_failed", "==", 0, 1))
	row("meshctl deploy valuation ms", cell("deploy.ms", 1), "", "", "", "")
	printf "\nskipped (no binary): %s\n", str("info.skipped")
	printf "whole run: %s s\n", str("info.total_s")
}
