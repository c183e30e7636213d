"""The dashboard: server-rendered pages (Jinja2, ../templates) behind a login with an API key."""
