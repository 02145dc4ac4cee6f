-- Deliberately failing: test-scripts must exit non-zero for this folder.
test('expects a tag the rule never adds', function()
  local r = run{subject = 'hi', text = 'hello'}
  expect_tag(r, 'expected-but-missing')
end)
test('this one passes', function()
  expect_tag(run{subject = 'hi', text = 'hello'}, 'actual')
end)
