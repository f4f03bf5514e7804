"""Complaints (监督举报, R16): filed by families and staff, handled by the office,
escalated to the district when overdue or when the filer does not accept the reply."""
