"""NBopen's own versioned JSON API (``/api/v1/…``), beside the Hub-compatible one."""
