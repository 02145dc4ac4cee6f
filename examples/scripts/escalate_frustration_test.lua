-- Tests for escalate_frustration.lua (run: deskhook test-scripts examples/scripts)
config{escalate = {tags = {'escalation'}, group = '360099', priority = 'urgent'}}

test('a furious repeat message escalates (scored by deskhook)', function()
  local r = run{event = 'customer_reply', subject = 'Still broken',
                messages = {customer('My export fails.'), agent('We are looking into it.'),
                            customer('This is the third time I ask. Your product is useless and I am furious!')}}
  expect_tag(r, 'escalation')
  expect_eq(r.group, '360099')
  expect_eq(r.priority, 'urgent')
  expect_match(r.notes[1], '^Escalated by escalate_frustration.lua: frustration 0%.%d+')
end)

test('a calm question does not escalate', function()
  local r = run{subject = 'Question', text = 'Hi, how do I export my data to CSV? Thanks!'}
  expect_nothing(r)
  expect_outcome(r, 'escalate_frustration.lua', 'ok')
end)

test('a falling trend escalates once the mood is negative', function()
  local r = run{event = 'customer_reply', text = 'still not working',
                sentiment = {compound = -0.4, frustration = 0.1, escalating = true, trend = {messages = 3}}}
  expect_tag(r, 'escalation')
  expect_match(r.notes[1], 'mood falling over 3 messages')
end)

test('a falling trend with a still positive mood does not escalate', function()
  local r = run{event = 'customer_reply', text = 'ok', sentiment = {compound = 0.2, escalating = true}}
  expect_nothing(r)
end)

test('an already escalated ticket is left alone', function()
  local r = run{event = 'customer_reply', tags = {'escalation'}, text = 'useless',
                sentiment = {compound = -0.9, frustration = 0.9}}
  expect_nothing(r)
end)

test('the rule only reads the sentiment and the tags', function()
  local r = run{text = 'fine', sentiment = {compound = 0.1}}
  local inputs = r.scripts['escalate_frustration.lua'].inputs
  expect(inputs.sentiment ~= nil and inputs.tagged ~= nil, inspect(inputs))
  expect_eq(inputs.subject, nil)
end)
