"""Fees (R8–R11): plans, exemptions, statements, payments, settlement and disclosures."""
