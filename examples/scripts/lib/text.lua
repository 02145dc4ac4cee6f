-- Small text helpers shared by the example rules: require('lib.text').
local M = {}

-- True when `text` contains any of `words` (plain, case-insensitive substring match).
function M.has_any(text, words)
  local lower = string.lower(text or '')
  for _, w in ipairs(words) do
    if string.find(lower, w, 1, true) then return true, w end
  end
  return false
end

-- The subject and the latest customer message, lower-cased: what keyword rules look at.
function M.haystack(t)
  return string.lower((t.subject or '') .. '\n' .. (t.text or ''))
end

return M
