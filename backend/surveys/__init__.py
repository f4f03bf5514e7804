"""Satisfaction surveys (R15): the office asks, families answer anonymously."""
