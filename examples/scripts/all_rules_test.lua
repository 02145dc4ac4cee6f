-- The example rules together, in the order a config would list them.
scripts{'vip_requesters.lua', 'route_by_topic.lua', 'wants_human.lua', 'escalate_frustration.lua', 'churn_risk.lua'}
config{escalate = {tags = {'escalation'}, group = '360099', priority = 'urgent'},
       fallback = {tags = {'needs-triage'}}}

test('an angry VIP asking for a person: later scripts see and build on earlier decisions', function()
  local r = run{subject = 'Refund NOW', requester = {email = 'ana@bigcorp.com'},
                text = 'This is the third time I ask for my refund. Useless! I want to talk to a real person.'}
  expect_tag(r, 'vip')
  expect_tag(r, 'topic_billing')
  expect_tag(r, 'wants-human')
  expect_tag(r, 'escalation')
  expect_eq(r.group, '360099')    -- escalation decided last
  expect_eq(r.priority, 'urgent')
  expect_eq(r.fallback, false)
  for _, rec in ipairs(r.records) do expect(rec.outcome == 'ok' or rec.outcome == 'no_handler', rec.script .. ': ' .. rec.reason) end
end)

test('a happy ordinary ticket gets only its topic', function()
  local r = run{subject = 'Invoice', text = 'Could you send me a copy of my invoice? Thanks a lot!'}
  expect_eq(r.tags, {'topic_billing'})
  expect_eq(r.group, '360001')
end)
