"""Schools and their roster: grades, classes, pupils, guardians, role grants."""
