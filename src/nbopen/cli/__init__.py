"""The ``nbopen`` command line: operator verbs (serve, user, org, token) and client verbs."""
