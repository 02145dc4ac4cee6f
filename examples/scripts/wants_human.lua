-- Fast lane for customers who ask for a person: tag, human desk, at least high priority.
local text = require('lib.text')

local HUMAN_DESK = '360030'
local THRESHOLD = 0.6
local PHRASES = {'real person', 'human being', 'speak to someone', 'talk to someone', 'call me'}

local function check(t, ctx)
  local asked = t.sentiment.wants_human >= THRESHOLD or text.has_any(t.text, PHRASES)
  if not asked or t.tagged['wants-human'] then return end
  tag('wants-human')
  untag('bot-handled')
  assign{group = HUMAN_DESK}
  if (ctx.decisions.priority or t.priority) ~= 'urgent' then priority('high') end
  note('Customer asked for a person: please answer personally, not with a macro.')
end

on_ticket_created = check
on_customer_reply = check
