-- Tests for vip_requesters.lua
test('a VIP domain gets the tag, high priority and the VIP desk', function()
  local r = run{subject = 'Help', text = 'hello', requester = {email = 'Ana@BigCorp.com'}}
  expect_tag(r, 'vip')
  expect_eq(r.priority, 'high')
  expect_eq(r.group, '360020')
end)

test('an urgent VIP ticket stays urgent', function()
  local r = run{subject = 'Help', text = 'hello', priority = 'urgent', requester = {email = 'ceo@startup.dev'}}
  expect_tag(r, 'vip')
  expect_eq(r.priority, nil)
end)

test('other requesters are untouched', function()
  expect_nothing(run{subject = 'Help', text = 'hello', requester = {email = 'someone@gmail.com'}})
  expect_nothing(run{subject = 'Help', text = 'hello', requester = {email = 'bigcorp.com@evil.org'}})
end)

test('the third ticket in a day gets a note; counters expire', function()
  local ev = {subject = 'Help', text = 'hello', requester = {email = 'ana@bigcorp.com'}, now = 1735725600000}
  expect_eq(#run(ev).notes, 0)
  expect_eq(#run(ev).notes, 0)
  local third = run(ev)
  expect_eq(third.notes, {'VIP ana@bigcorp.com opened 3 tickets in the last 24 hours.'})
  ev.now = ev.now + 86401 * 1000
  expect_eq(#run(ev).notes, 0)
end)
