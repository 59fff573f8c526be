"""Text generation: a causal language model fine-tuned with LoRA on instruction/response pairs,
prompted through the versioned templates of ``specs/prompts.yaml``."""
