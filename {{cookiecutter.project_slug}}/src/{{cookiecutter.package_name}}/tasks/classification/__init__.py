"""Text classification: labelled texts in, one label per text out (a fine-tuned encoder)."""
