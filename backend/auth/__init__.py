"""Sign-in: WeChat users, admin accounts, our own tokens, and who the caller is."""
