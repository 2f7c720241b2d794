"""Synthetic world: seeded simulation of US-to-Mexico gun trafficking with ground truth."""
