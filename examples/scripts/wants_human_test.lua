-- Tests for wants_human.lua
test('asking for a real person (scored by deskhook) takes the fast lane', function()
  local r = run{event = 'customer_reply', text = 'I want to talk to a real person, not a bot', tags = {'bot-handled'}}
  expect_tag(r, 'wants-human')
  expect_eq(r.untags, {'bot-handled'})
  expect_eq(r.group, '360030')
  expect_eq(r.priority, 'high')
  expect_eq(#r.notes, 1)
end)

test('the phrase list catches what the scorer does not', function()
  local r = run{text = 'Please call me tomorrow', sentiment = {wants_human = 0}}
  expect_tag(r, 'wants-human')
end)

test('urgent tickets keep their priority', function()
  local r = run{text = 'x', priority = 'urgent', sentiment = {wants_human = 0.9}}
  expect_tag(r, 'wants-human')
  expect_eq(r.priority, nil)
end)

test('no request for a human, no decision', function()
  expect_nothing(run{text = 'How do I change my avatar?'})
end)
