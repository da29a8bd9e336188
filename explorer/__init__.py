"""Latent Explorer: look inside generative models."""

__version__ = "0.1.0"
