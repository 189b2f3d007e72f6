"""git over SSH (``nbopen serve --ssh-port N``): :mod:`.server`."""
