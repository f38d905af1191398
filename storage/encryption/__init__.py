"""Field encryption: AES-GCM ciphers, the blind index, and key rotation."""
