"""Report formats: each turns findings into text; none decides the exit code."""
