"""Organizations (enterprises, universities, institutes, government bodies, communities)."""
