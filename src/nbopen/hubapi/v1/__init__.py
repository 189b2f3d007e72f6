"""NBopen's own JSON API (``/api/v1/…``), beside the Hub-compatible one."""
