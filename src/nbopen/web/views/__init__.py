"""Page views, one small module per area. Views parse, call a service or selector, render."""
