"""Staff hours and pay (R17): staff records, course attendance, hours, pay sheets."""
