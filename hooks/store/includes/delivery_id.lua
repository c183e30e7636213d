--[[
  delivery_id: the delivery-id format, read and written here only (hooks/models/ids.py is its Python side). A
  delivery id derives from its event and webhook ids, so a fan-out that runs twice makes nothing twice:
  event evt_<e> and webhook wh_<w> give delivery msg_<e>_<w> (the parts are ULIDs: no underscore in them).
    delivery_id(ev, wh)  the id of the delivery of event `ev` to webhook `wh`
    event_of(id)         the event id a delivery id was derived from
    webhook_of(id)       the webhook id a delivery id was derived from
]]
local function delivery_id(ev, wh)
  return 'msg_' .. string.sub(ev, 5) .. '_' .. string.sub(wh, 4)
end

local function event_of(id)
  return 'evt_' .. string.match(id, '^msg_([^_]+)_')
end

local function webhook_of(id)
  return 'wh_' .. string.match(id, '^msg_[^_]+_(.+)$')
end
