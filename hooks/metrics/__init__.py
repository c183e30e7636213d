"""Per-webhook counters that agree with the history: counted as the archiver writes records, read by /metrics.

`counters` (what the archiver calls for each batch it archives), `keys` (their Redis keys), `read` (what
`/metrics` and the API's stats read back). Nothing here imports FastAPI or prometheus_client: the archiver
imports `counters` and stays light.
"""
