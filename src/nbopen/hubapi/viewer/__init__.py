"""The dataset viewer API (Hugging Face dataset-viewer compatible) under /datasets-server/."""
