-- VIP requesters: by e-mail domain or address. They get a tag, a priority floor of high, the VIP
-- desk, and a note when they open many tickets in a day (counted in ctx.kv, expiring daily).
local VIP_DOMAINS = {['bigcorp.com'] = true, ['example-enterprise.io'] = true}
local VIP_ADDRESSES = {['ceo@startup.dev'] = true}
local VIP_GROUP = '360020'
local BUSY_DAY = 3

local function is_vip(email)
  email = string.lower(email or '')
  local domain = email:match('@([^@]+)$')
  return VIP_ADDRESSES[email] or (domain ~= nil and VIP_DOMAINS[domain])
end

function on_ticket_created(t, ctx)
  if not is_vip(t.requester.email) then return end
  tag('vip')
  local p = ctx.decisions.priority or t.priority
  if p ~= 'urgent' then priority('high') end
  if not ctx.decisions.group then assign{group = VIP_GROUP} end
  local today = ctx.kv.incr('tickets:' .. t.requester.email, 1, 86400)
  if today >= BUSY_DAY then
    note(string.format('VIP %s opened %d tickets in the last 24 hours.', t.requester.email, today))
  end
end

function on_customer_reply(t, ctx)
  if is_vip(t.requester.email) and not t.tagged.vip then tag('vip') end
end
