"""The neural joint parser (kind ``neural``): scratch or Hugging Face encoders."""
