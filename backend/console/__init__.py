"""The office console: server-rendered pages for the school office and the district."""
