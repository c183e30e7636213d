"""The portal: one stack's own view of its endpoints, delivery log and catalogue, for the product's customers.

The product's backend asks for a short-lived link (`portal_url`, `POST /v1/portal-links`, `hooks portal-link`);
the link signs in once to a session bound to that stack (session.py); the pages (routes.py) never show another.
"""
