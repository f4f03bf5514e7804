"""Children's personal information: export, deletion requests, retention (PIPL, 2019 rules)."""
