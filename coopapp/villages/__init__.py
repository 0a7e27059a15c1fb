"""A village's projects, households and shares, their privacy and statements."""
