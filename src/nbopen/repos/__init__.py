"""Repositories (code, models, datasets), their git storage and their LFS objects."""
