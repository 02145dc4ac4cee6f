// The Lua half of the test runner: what *_test.lua files see. Kept as text here so the binary
// carries it; it runs in the same sandbox as scripts (plus run/__load).
#include <string>

namespace deskhook::scripts {

extern const char* const kTestPrelude = R"LUA(
local tests = {}
local current_dir = '.'
local file_scripts, file_config

function test(name, fn)
  if type(name) ~= 'string' or type(fn) ~= 'function' then error('test(name, function() ... end)', 2) end
  tests[#tests + 1] = {name = name, fn = fn}
end
function scripts(list) file_scripts = list end
function config(c) file_config = c end

local function message(role, body, extra)
  local m = {role = role, body = body}
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end
function customer(body, extra) return message('customer', body, extra) end
function agent(body, extra) return message('agent', body, extra) end

function run(event)
  if type(event) ~= 'table' then error('run{...}: give an event table', 2) end
  return __run({dir = current_dir, scripts = event.scripts or file_scripts,
                config = event.config or file_config or {}, event = event})
end

local function show(v, depth)
  depth = depth or 0
  if type(v) == 'string' then return string.format('%q', v) end
  if type(v) ~= 'table' then return tostring(v) end
  if depth > 3 then return '{...}' end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do
    if math.type(k) == 'integer' and k >= 1 and k <= #v then parts[#parts + 1] = show(v[k], depth + 1)
    else parts[#parts + 1] = tostring(k) .. '=' .. show(v[k], depth + 1) end
  end
  return '{' .. table.concat(parts, ', ') .. '}'
end
inspect = show

local function deep_eq(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= 'table' then return a == b end
  for k, v in pairs(a) do if not deep_eq(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function fail(msg, default) error((msg and (msg .. ': ') or '') .. default, 3) end

function expect(cond, msg) if not cond then fail(nil, msg or 'expectation failed') end end
function expect_eq(actual, expected, msg)
  if not deep_eq(actual, expected) then fail(msg, 'expected ' .. show(expected) .. ', got ' .. show(actual)) end
end
function expect_ne(actual, unexpected, msg)
  if deep_eq(actual, unexpected) then fail(msg, 'expected anything but ' .. show(unexpected)) end
end
function expect_tag(r, tag, msg)
  if not r.tagged[tag] then fail(msg, 'expected tag ' .. show(tag) .. ', tags are ' .. show(r.tags)) end
end
function expect_no_tag(r, tag, msg)
  if r.tagged[tag] then fail(msg, 'expected no tag ' .. show(tag) .. ', tags are ' .. show(r.tags)) end
end
function expect_match(s, pattern, msg)
  if type(s) ~= 'string' or not s:find(pattern) then fail(msg, 'expected ' .. show(s) .. ' to match ' .. show(pattern)) end
end
function expect_outcome(r, script, outcome, msg)
  local rec = r.scripts[script]
  if not rec then fail(msg, 'no record for script ' .. show(script)) end
  if rec.outcome ~= outcome then
    fail(msg, script .. ' ended ' .. show(rec.outcome) .. ' (' .. rec.reason .. '), expected ' .. show(outcome))
  end
end
function expect_nothing(r, msg)
  local decided = r.group or r.agent or r.priority or #r.tags > 0 or #r.untags > 0 or #r.notes > 0 or #r.drafts > 0
  if decided then fail(msg, 'expected no decisions, got ' .. show({group = r.group, agent = r.agent,
    priority = r.priority, tags = r.tags, untags = r.untags, notes = r.notes})) end
end

function __run_file(path, dir, name)
  tests, file_scripts, file_config, current_dir = {}, nil, nil, dir
  local chunk = __load(path)
  chunk()
  if file_scripts == nil then file_scripts = {(name:gsub('_test%.lua$', '.lua'))} end
  local passed, failed = 0, 0
  for _, t in ipairs(tests) do
    __reset()
    local ok, err = pcall(t.fn)
    if ok then
      passed = passed + 1
      __emit('ok   ' .. name .. ': ' .. t.name)
    else
      failed = failed + 1
      __emit('FAIL ' .. name .. ': ' .. t.name .. '\n       ' .. tostring(err))
    end
  end
  if #tests == 0 then
    failed = failed + 1
    __emit('FAIL ' .. name .. ': no tests (call test("name", function() ... end))')
  end
  return {passed = passed, failed = failed}
end
)LUA";

}  // namespace deskhook::scripts
