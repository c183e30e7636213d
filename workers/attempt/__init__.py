"""One delivery attempt: sign, connect through the SSRF guard, POST under a hard deadline, decide what follows."""
