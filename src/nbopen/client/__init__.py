"""Client verbs (``nbopen login/download/upload``) built on ``huggingface_hub``."""
