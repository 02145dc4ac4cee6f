-- Tests for churn_risk.lua
test('talk of leaving (scored by deskhook) is tagged with the words in a note', function()
  local r = run{text = 'I am cancelling my subscription and switching to a competitor'}
  expect_tag(r, 'churn-risk')
  expect_match(r.notes[1], '^Churn risk 0%.%d+: cancelling my subscription')
end)

test('explicit churn terms', function()
  local r = run{text = 'x', sentiment = {churn_risk = 0.8, terms = {{text = 'close my account', weight = 0.8, signal = 'churn_risk'}}}}
  expect_eq(r.notes, {'Churn risk 0.80: close my account'})
end)

test('a happy reply removes the tag again', function()
  local r = run{event = 'customer_reply', tags = {'churn-risk'}, text = 'Thanks, that worked perfectly!'}
  expect_eq(r.untags, {'churn-risk'})
  expect_eq(r.scripts['churn_risk.lua'].logs[1]:match('^customer sounds happy again'), 'customer sounds happy again')
end)

test('an already tagged unhappy ticket is not tagged twice', function()
  expect_nothing(run{tags = {'churn-risk'}, text = 'x', sentiment = {churn_risk = 0.9}})
end)
