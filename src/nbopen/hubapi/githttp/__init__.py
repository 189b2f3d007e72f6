"""git smart HTTP and Git LFS: the raw-ASGI streaming parts and the LFS JSON views."""
