---@meta
-- lua-language-server annotations for deskhook routing scripts.
-- Point your editor at this file (e.g. .luarc.json: {"workspace.library": ["<deskhook>/scripts"]})
-- to get completion and checks for handlers, `t`, `ctx` and the decision functions.
-- Reference: docs/scripts.md.

---@class deskhook.Person
---@field id string
---@field name string
---@field email string

---@class deskhook.Message
---@field id string
---@field role "customer"|"agent"|"system"
---@field author_id string
---@field body string          plain text (HTML already stripped)
---@field time integer         unix epoch milliseconds; 0 when the platform gave none
---@field public boolean       false for internal notes

---@class deskhook.Term
---@field text string          as it appeared, lower-cased
---@field weight number        contribution (negative = negative valence)
---@field signal "valence"|"frustration"|"churn_risk"|"wants_human"|"urgency"

---@class deskhook.Trend
---@field messages integer     customer messages seen so far
---@field last number          compound of the latest message
---@field ewma number          recent-weighted mean of compounds
---@field slope number         least-squares slope of compound per message
---@field min number           lowest compound so far
---@field escalating boolean   sentiment is falling across messages

---@class deskhook.Sentiment
---@field compound number      [-1, 1] of the latest customer message
---@field pos number
---@field neg number
---@field neu number
---@field frustration number   [0, 1]
---@field churn_risk number    [0, 1]
---@field wants_human number   [0, 1]
---@field urgency number       [0, 1]
---@field escalating boolean   same as trend.escalating
---@field trend deskhook.Trend
---@field terms deskhook.Term[] strongest first

---@class deskhook.Similar
---@field count integer        similar tickets in the window, this one excluded
---@field group_id string      "" when not grouped
---@field examples string[]    a few earlier ticket ids of the group

---Read-only view of the ticket. Assigning to any field raises an error.
---@class deskhook.Ticket
---@field event "ticket_created"|"customer_reply"|"agent_reply"|"ticket_updated"
---@field instance string      connector instance name, e.g. "zendesk-eu"
---@field platform "zendesk"|"intercom"
---@field id string
---@field subject string
---@field status string
---@field priority ""|"low"|"normal"|"high"|"urgent"
---@field channel string
---@field url string
---@field group_id string
---@field group_name string
---@field created_at integer   epoch ms
---@field updated_at integer   epoch ms
---@field requester deskhook.Person
---@field assignee deskhook.Person
---@field tags string[]
---@field tagged table<string, boolean>  set view of tags: t.tagged.vip
---@field messages deskhook.Message[]    what this delivery carries, oldest first
---@field latest deskhook.Message?       latest customer message
---@field text string                    latest customer message as scored (quotes/signatures removed)
---@field sentiment deskhook.Sentiment
---@field similar deskhook.Similar

---@class deskhook.Draft
---@field title string
---@field body string

---What the scripts before this one decided (read-only).
---@class deskhook.Decisions
---@field group string?
---@field agent string?
---@field priority string?
---@field tags string[]
---@field tagged table<string, boolean>
---@field untags string[]
---@field notes string[]
---@field drafts deskhook.Draft[]
---@field escalated boolean
---@field escalations string[]  "script: reason"

---Per-script persistent store (namespaced by script file name). Writes are kept only when the
---handler ends without error.
---@class deskhook.Kv
local Kv = {}
---@param key string
---@return string?
function Kv.get(key) end
---@param key string
---@param value string|number|boolean
---@param ttl_s? integer  seconds; 0 or nil = no expiry
function Kv.set(key, value, ttl_s) end
---@param key string
---@param by? integer     default 1
---@param ttl_s? integer  applies when the key is created
---@return integer        the value after adding
function Kv.incr(key, by, ttl_s) end

---@class deskhook.Utc
---@field year integer
---@field month integer
---@field day integer
---@field hour integer
---@field min integer
---@field sec integer
---@field wday integer  1 = Sunday
---@field yday integer

---@class deskhook.Ctx
---@field instance string
---@field now integer          epoch ms of the event
---@field event string         same as t.event
---@field script string        this script's file name
---@field kv deskhook.Kv
---@field decisions deskhook.Decisions
---@field utc deskhook.Utc     ctx.now broken down in UTC

-- Handlers (define the ones you need as globals) ------------------------------------------
---@alias deskhook.Handler fun(t: deskhook.Ticket, ctx: deskhook.Ctx)
---@type deskhook.Handler?
on_ticket_created = nil
---@type deskhook.Handler?
on_customer_reply = nil
---@type deskhook.Handler?
on_agent_reply = nil
---@type deskhook.Handler?
on_ticket_updated = nil
---@type deskhook.Handler? called for any event whose specific handler the script lacks
on_event = nil

-- Decisions --------------------------------------------------------------------------------
---@param a {group?: string|integer, agent?: string|integer}
function assign(a) end
---@param ... string|string[]
function tag(...) end
---@param ... string|string[]
function untag(...) end
---Internal note (never public).
---@param text string
function note(text) end
---@param level "low"|"normal"|"high"|"urgent"
function priority(level) end
---Configured bundle (tags + group + priority) plus a note with the reason.
---@param e? {reason?: string}|string
function escalate(e) end
---A draft article for a human to approve (never published).
---@param d {title: string, body: string}
function draft_faq(d) end
---Adds a line to this script's decision-log record (print does the same).
---@param ... any
function log(...) end
---Loads a module from the configured module folder: require("lib.text") -> lib/text.lua.
---@param name string
---@return any
function require(name) end

-- Test files (*_test.lua, run by `deskhook test-scripts`) -----------------------------------
---@class deskhook.TestRecord
---@field script string
---@field version string
---@field handler string
---@field outcome "ok"|"error"|"limit"|"no_handler"
---@field reason string
---@field logs string[]
---@field decisions table[]
---@field inputs table

---@class deskhook.TestResult
---@field group string?
---@field agent string?
---@field priority string?
---@field tags string[]
---@field tagged table<string, boolean>
---@field untags string[]
---@field notes string[]
---@field drafts deskhook.Draft[]
---@field fallback boolean
---@field records deskhook.TestRecord[]
---@field scripts table<string, deskhook.TestRecord>

---@param name string
---@param fn fun()
function test(name, fn) end
---@param list string[]  scripts under test, relative to the test file (default: <name>.lua)
function scripts(list) end
---@param c {escalate?: table, fallback?: table, limits?: table, module_dir?: string}
function config(c) end
---@param event table  ticket fields, messages/text, event=, sentiment=, similar=, now=
---@return deskhook.TestResult
function run(event) end
---@return table
function customer(body, extra) end
---@return table
function agent(body, extra) end
function expect(cond, msg) end
function expect_eq(actual, expected, msg) end
function expect_ne(actual, unexpected, msg) end
---@param r deskhook.TestResult
function expect_tag(r, tag, msg) end
---@param r deskhook.TestResult
function expect_no_tag(r, tag, msg) end
function expect_match(s, pattern, msg) end
---@param r deskhook.TestResult
function expect_outcome(r, script, outcome, msg) end
---@param r deskhook.TestResult
function expect_nothing(r, msg) end
---@return string
function inspect(v) end
