-- Tag tickets whose customer talks about leaving, with a note of the words that said so;
-- remove the tag again when a later reply is clearly happy.
local RISK = 0.5
local HAPPY = 0.5

local function signals(s, name)
  local words = {}
  for _, term in ipairs(s.terms) do
    if term.signal == name then words[#words + 1] = term.text end
  end
  return table.concat(words, ', ')
end

local function check(t, ctx)
  local s = t.sentiment
  if s.churn_risk >= RISK and not t.tagged['churn-risk'] then
    tag('churn-risk')
    note(string.format('Churn risk %.2f: %s', s.churn_risk, signals(s, 'churn_risk')))
  elseif t.tagged['churn-risk'] and s.compound >= HAPPY and s.churn_risk < RISK then
    untag('churn-risk')
    log('customer sounds happy again', s.compound)
  end
end

on_ticket_created = check
on_customer_reply = check
