"""First-party plugins ("batteries"), each also usable as a plain Flask extension."""
