"""Users, the shared owner namespace, and personal access tokens."""
