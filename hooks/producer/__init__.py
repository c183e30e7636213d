"""The producer's side: `publish_event(s)` validates events and stores them in Redis in one Lua call."""
