"""The Hugging Face Hub–compatible API (see docs/hub-compat.md)."""
