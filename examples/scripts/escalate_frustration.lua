-- Escalate when the customer is clearly frustrated, or when their mood keeps getting worse.
-- escalate{} expands to the configured bundle (tag + group + priority) plus a note with the reason.
local FRUSTRATION = 0.6   -- t.sentiment.frustration at or above this escalates
local VERY_NEGATIVE = -0.7  -- a single message this negative escalates
local FALLING = -0.3        -- an escalating trend escalates once the mood is below this

local function check(t, ctx)
  if t.tagged.escalation or ctx.decisions.escalated then return end  -- once is enough
  local s = t.sentiment
  if s.frustration >= FRUSTRATION then
    escalate{reason = string.format('frustration %.2f (%s)', s.frustration, s.terms[1] and s.terms[1].text or 'no terms')}
  elseif s.compound <= VERY_NEGATIVE then
    escalate{reason = string.format('very negative message (%.2f)', s.compound)}
  elseif s.escalating and s.compound < FALLING then
    escalate{reason = string.format('mood falling over %d messages (now %.2f)', s.trend.messages, s.compound)}
  end
end

on_ticket_created = check
on_customer_reply = check
