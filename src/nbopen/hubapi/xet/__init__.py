"""The Xet CAS HTTP routes (raw ASGI: xorb bodies are up to 64 MiB and streamed)."""
