-- Route new tickets to a group by keywords in the subject and first message, and by language.
-- Earlier scripts win: if one already assigned a group, this one only tags.
local text = require('lib.text')

local ROUTES = {  -- first match wins
  {group = '360001', tag = 'topic_billing', words = {'invoice', 'refund', 'charged', 'billing', 'payment'}},
  {group = '360002', tag = 'topic_login', words = {'log in', 'login', 'password', 'sign in', '2fa'}},
  {group = '360003', tag = 'topic_outage', words = {'is down', 'outage', 'not loading', 'error 500'}},
}

local LANGUAGES = {  -- a few very common words per language; two hits decide
  {code = 'fr', group = '360010', words = {'bonjour', 'merci', 'je ', 'ne ', 'pas ', 'mon ', 'compte'}},
  {code = 'es', group = '360011', words = {'hola', 'gracias', 'no puedo', 'mi ', 'cuenta', 'por favor'}},
  {code = 'de', group = '360012', words = {'hallo', 'danke', 'ich ', 'nicht', 'mein', 'bitte'}},
}

local function language(haystack)
  for _, lang in ipairs(LANGUAGES) do
    local hits = 0
    for _, w in ipairs(lang.words) do
      if haystack:find(w, 1, true) then hits = hits + 1 end
    end
    if hits >= 2 then return lang end
  end
end

function on_ticket_created(t, ctx)
  local haystack = text.haystack(t)
  local lang = language(haystack)
  if lang then
    tag('lang_' .. lang.code)
    if not ctx.decisions.group then assign{group = lang.group} end
    return
  end
  for _, route in ipairs(ROUTES) do
    local hit, word = text.has_any(haystack, route.words)
    if hit then
      tag(route.tag)
      if not ctx.decisions.group and t.group_id == '' then assign{group = route.group} end
      log('routed on', word)
      return
    end
  end
end
