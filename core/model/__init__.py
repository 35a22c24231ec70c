"""The CLIP model: specs, weights and their one network path, the encoder and its backends,
the projection and its ProLIP refinement."""
