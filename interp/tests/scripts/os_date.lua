-- os.date / os.time / os.difftime / os.clock (tests use UTC ("!") or
-- explicit times so they do not depend on the local time zone)
local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

assert(os.date("!%Y-%m-%d %H:%M:%S", 0) == "1970-01-01 00:00:00")
assert(os.date("!%c", 0) == "Thu Jan  1 00:00:00 1970")
assert(os.date("!%x|%X|%p|%D|%F|%R|%T|%r", 1e9) == "09/09/01|01:46:40|AM|09/09/01|2001-09-09|01:46|01:46:40|01:46:40 AM")
assert(os.date("!%a %A %b %B %h %e %j %u %w %y %C %Z %z %%", 1e9) == "Sun Sunday Sep September Sep  9 252 7 0 01 20 GMT +0000 %")
assert(os.date("!%U %W %V %G %g", 1e9) == "36 36 36 2001 01")
assert(os.date("!%n%t", 0) == "\n\t")
assert(os.date("!%Ec|%Oy|%OH", 1e9) == "Sun Sep  9 01:46:40 2001|01|01")
assert(os.date("!%Y", -1e9) == "1938")
assert(os.date("!%I %p", 13 * 3600) == "01 PM" and os.date("!%I", 0) == "12")

-- ISO weeks around new year
assert(os.date("!%G-%V", os.time{year = 2021, month = 1, day = 3}) == "2020-53")
assert(os.date("!%G-%V-%U-%W", os.time{year = 2024, month = 12, day = 30}) == "2025-01-52-53")
assert(os.date("!%U %W %V %j", os.time{year = 2023, month = 1, day = 1}) == "01 00 52 001")

-- invalid conversions
assert(err(os.date, "%Ez"):find("invalid conversion specifier '%Ez'", 1, true))
assert(err(os.date, "%Ex%Q"):find("invalid conversion specifier '%Q'", 1, true))
assert(err(os.date, "%"):find("invalid conversion specifier '%'", 1, true))

-- *t tables
local t = os.date("!*t", 1e9)
assert(t.year == 2001 and t.month == 9 and t.day == 9 and t.hour == 1 and t.min == 46 and t.sec == 40)
assert(t.wday == 1 and t.yday == 252 and t.isdst == false)
assert(os.date("*tx", 0) == "*tx")
assert(type(os.date()) == "string" and type(os.date("*t").year) == "number")
assert(os.date("!%c", 2^60) == nil)

-- os.time normalises like mktime (UTC here)
local utc = os.date("!*t", 0).hour == os.date("*t", 0).hour
if utc then
  assert(os.time{year = 2000, month = 1, day = 1, hour = 0} == 946684800)
  assert(os.time{year = 2000, month = 1, day = 1} == 946684800 + 12 * 3600)
  assert(os.time{year = 2000, month = 14, day = -3, hour = 25, min = -7, sec = 100} == 980729680)
  assert(os.time{year = "2000", month = "2", day = 1.9} == 949406400)
  assert(os.time{year = -5000, month = 1, day = 1} == -219951892800)
  assert(os.time{year = 1969, month = 12, day = 31, hour = 23, min = 59, sec = 59} == nil) -- -1
  assert(os.time(os.date("*t", 123456789)) == 123456789)
end
assert(err(os.time, {year = 2000}) == "field 'day' missing in date table")
assert(err(os.time, {year = 2000, day = 1}) == "field 'month' missing in date table")
assert(err(os.time, 1):find("table expected", 1, true))
local now = os.time()
assert(type(now) == "number" and now > 1.5e9 and now == math.floor(now))

assert(os.difftime(1.5, 0.7) == 1 and os.difftime(5) == 5)
assert(err(os.difftime):find("number expected", 1, true))

local c = os.clock()
assert(type(c) == "number" and c >= 0)
local x = 0
for i = 1, 1e5 do x = x + i end
assert(os.clock() >= c)

assert(os.setlocale() == "C" and os.setlocale("C") == "C" and os.setlocale(nil, "time") == "C")
assert(os.setlocale("xx_YY.nonexistent") == nil)
assert(err(os.setlocale, nil, "x"):find("invalid option 'x'", 1, true))

assert(os.getenv("OXILUA_SURELY_UNSET_VAR") == nil)
assert(err(os.getenv):find("string expected", 1, true))
print("OK")
