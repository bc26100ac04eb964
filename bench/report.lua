-- report.lua: appended to each wrk script by bench/run. Prints one JSON
-- line with what the table needs: requests, errors by kind, and latency
-- percentiles in microseconds.
function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'{"requests":%d,"duration_us":%d,"per_s":%.0f,"non2xx":%d,' ..
		'"socket_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d}\n',
		summary.requests, summary.duration,
		summary.requests / (summary.duration / 1e6), e.status,
		e.connect + e.read + e.write, e.timeout,
		latency:percentile(50), latency:percentile(99)))
end
