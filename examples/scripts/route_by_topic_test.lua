-- Tests for route_by_topic.lua
test('billing words route to the billing group', function()
  local r = run{subject = 'Refund please', text = 'I was charged twice for my invoice.'}
  expect_eq(r.group, '360001')
  expect_tag(r, 'topic_billing')
  expect_eq(r.scripts['route_by_topic.lua'].logs[1], 'routed on invoice')  -- first word of the route's list
end)

test('login trouble routes to the login group', function()
  local r = run{subject = 'Cannot sign in', text = 'My password reset mail never arrives.'}
  expect_eq(r.group, '360002')
  expect_tag(r, 'topic_login')
end)

test('French routes to the French desk before keywords', function()
  local r = run{subject = 'Problème de compte', text = 'Bonjour, je ne peux pas me connecter à mon compte. Merci'}
  expect_eq(r.group, '360010')
  expect_tag(r, 'lang_fr')
  expect_no_tag(r, 'topic_login')
end)

test('Spanish routes to the Spanish desk', function()
  local r = run{subject = 'Ayuda', text = 'Hola, no puedo entrar en mi cuenta, gracias'}
  expect_eq(r.group, '360011')
end)

test('a ticket that already has a group only gets the topic tag', function()
  local r = run{subject = 'Invoice copy', text = 'Please send my invoice', group_id = '999'}
  expect_tag(r, 'topic_billing')
  expect_eq(r.group, nil)
end)

test('replies are not re-routed', function()
  local r = run{event = 'customer_reply', subject = 'Refund', text = 'refund please'}
  expect_nothing(r)
  expect_outcome(r, 'route_by_topic.lua', 'no_handler')
end)

test('nothing matched, nothing decided', function()
  local r = run{subject = 'Hello', text = 'Just wanted to say your app is nice.'}
  expect_nothing(r)
end)
