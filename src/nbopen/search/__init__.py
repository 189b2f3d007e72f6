"""Discovery: one search service over repositories, organizations and users."""
