"""``/api/v1/analytics/…``: dashboard data as JSON, filtered by the permission policy."""
