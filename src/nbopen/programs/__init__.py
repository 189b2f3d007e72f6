"""City programs: open calls (揭榜挂帅), applications to them, and explained matching."""
