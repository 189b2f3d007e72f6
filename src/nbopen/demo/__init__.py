"""Demo content: clearly-labelled organizations, users and repositories for a first look."""
