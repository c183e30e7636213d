"""Redis, where the work in flight lives: the key map, connections, and the Lua scripts' loader and shared pieces."""
