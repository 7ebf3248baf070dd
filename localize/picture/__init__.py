"""The picture: where the burned-in Chinese line sits, and what it says."""
