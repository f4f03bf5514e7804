"""The demo school that `scripts/dev` serves (`flask --app backend seed-demo`)."""
