-- leads.lua: wrk script for POST /api/leads. Every request is a distinct,
-- realistic seller lead (name, phone, email, street address in a ZIP that
-- has comparable sales in examples/comps.json, and the optional fields a
-- form asks), so dedupe, valuation and the consumers do real work: no two
-- leads share a phone, an email or an address.
--
-- The features valuation caches on (ZIP, sqft, beds, baths, year built)
-- repeat only every 16 * 2609 * 5 * 83 leads, so no estimate is served
-- from valuation's cache that a stream of real leads would not hit.
--
-- Distinct across wrk threads too: each thread gets its own number in
-- setup() and draws from its own range of street numbers and phone lines.
--
-- Distinct across wrk runs against the same Redis: LEADS_FROM (default 0)
-- is where this run's numbering starts, and the driver passes the count of
-- leads the runs before it may have sent. Without it every run would
-- repeat the first run's leads, dedupe would answer them 200 "duplicate"
-- (no store, no event, no consumer work) and the figures would be those of
-- the cheap path. Leads stay distinct for 399,600 numbers (street number
-- and street repeat after that).
--
-- LEADS_PACE_MS (default 0: none) paces each connection: after a reply it
-- waits a random time, uniform in [0, 2 * LEADS_PACE_MS] ms, before its
-- next lead. With C connections that offers about C * 1000 / LEADS_PACE_MS
-- leads/s, arriving at random moments rather than in step, for the
-- latency a lead sees below saturation (a closed loop with think time: a
-- reply that is late delays that connection's next lead, so keep the rate
-- well under what the box sustains).

local firsts = {"Maria", "James", "Linda", "Robert", "Patricia", "Michael",
	"Jennifer", "David", "Elizabeth", "William", "Barbara", "Carlos",
	"Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Daniel", "Karen",
	"Anh", "Priya", "Wei", "Fatima", "Diego", "Aisha", "Noah", "Olivia"}
local lasts = {"Garcia", "Smith", "Johnson", "Nguyen", "Williams", "Brown",
	"Martinez", "Davis", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor",
	"Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
	"Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Patel"}
-- {street, city, state, zip, area code}: ZIPs present in the comps seed.
local places = {
	{"S Congress Ave", "Austin", "TX", "78704", "512"},
	{"E Cesar Chavez St", "Austin", "TX", "78702", "512"},
	{"W William Cannon Dr", "Austin", "TX", "78745", "737"},
	{"Slaughter Ln", "Austin", "TX", "78748", "512"},
	{"Braker Ln", "Austin", "TX", "78758", "737"},
	{"Congress Ave", "Austin", "TX", "78701", "512"},
	{"N 32nd St", "Phoenix", "AZ", "85032", "602"},
	{"E Camelback Rd", "Phoenix", "AZ", "85016", "602"},
	{"S 7th Ave", "Phoenix", "AZ", "85041", "480"},
	{"N 44th St", "Phoenix", "AZ", "85008", "602"},
	{"W Roosevelt St", "Phoenix", "AZ", "85003", "623"},
	{"N High St", "Columbus", "OH", "43201", "614"},
	{"Cleveland Ave", "Columbus", "OH", "43211", "614"},
	{"Olentangy River Rd", "Columbus", "OH", "43214", "380"},
	{"Parsons Ave", "Columbus", "OH", "43206", "614"},
	{"Morse Rd", "Columbus", "OH", "43229", "614"},
}
local timelines = {"asap", "30_days", "90_days", "6_months", "flexible"}
local types = {"single_family", "condo", "townhouse", "multi_family"}
local sources = {"google_ads", "facebook", "direct_mail", "referral"}

local threads = 0
function setup(thread)
	thread:set("tid", threads)
	threads = threads + 1
end

local n = 0
local from = tonumber(os.getenv("LEADS_FROM") or "0") or 0
local pace_ms = tonumber(os.getenv("LEADS_PACE_MS") or "0") or 0
function init(args)
	-- tid is set by setup() before init() runs in the thread.
	tid = tid or 0
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
	math.randomseed(from + tid)
end

if pace_ms > 0 then
	function delay()
		return math.floor(math.random() * 2 * pace_ms + 0.5)
	end
end

function request()
	n = n + 1
	local k = from + tid * 1000003 + n
	local first = firsts[k % #firsts + 1]
	local last = lasts[math.floor(k / #firsts) % #lasts + 1]
	local p = places[k % #places + 1]
	-- The line number and the exchange carry k: unique per lead. The
	-- exchange's tens digit is 2-9, so never an N11 service code.
	local j = math.floor(k / 10000)
	local exchange = 100 * (2 + j % 8) + 20 + math.floor(j / 8) % 80
	local line = k % 10000
	local body = string.format(
		'{"name":"%s %s","phone":"(%s) %03d-%04d",' ..
		'"email":"%s.%s.%d@example.com",' ..
		'"address":"%d %s, %s, %s %s",' ..
		'"beds":%d,"baths":%.1f,"sqft":%d,"year_built":%d,' ..
		'"timeline":"%s","property_type":"%s","source":"%s",' ..
		'"notes":"Inherited the house, needs a new roof; wants a cash offer."}',
		first, last, p[5], exchange, line,
		string.lower(first), string.lower(last), k,
		100 + k % 99900, p[1], p[2], p[3], p[4],
		2 + k % 4, 1 + (k % 5) * 0.5, 900 + (k * 37) % 2609,
		1940 + (k * 7) % 83,
		timelines[k % #timelines + 1], types[k % #types + 1],
		sources[k % #sources + 1])
	return wrk.format(nil, "/api/leads", nil, body)
end
