"""The drain engine: long-lived tasks that fan events out and send one webhook's batch at a time, fairly."""
