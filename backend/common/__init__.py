"""Pieces every domain uses: schema base, fields, pagination, clock."""
