"""The district education bureau (R18): districts, filings, oversight, the district blacklist."""
