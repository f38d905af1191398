"""What scheduled use cases read and write: milestone rules and awards, once-only marks, job runs."""
