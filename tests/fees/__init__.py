"""Fee statements, payments, settlement and disclosures."""
