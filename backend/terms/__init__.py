"""Terms: dates, windows, review levels, fees, agreements and the service-day calendar."""
