"""Department registers compared with the standard addresses and actual organisations."""
