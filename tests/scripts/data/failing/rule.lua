function on_ticket_created(t, ctx) tag('actual') end
