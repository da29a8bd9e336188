"""Training loops for every family, shared by ``latent-explorer train``."""
