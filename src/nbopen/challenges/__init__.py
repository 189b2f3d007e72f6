"""Data competitions on hosted datasets: phases, hidden ground truth, scoring, leaderboards."""
