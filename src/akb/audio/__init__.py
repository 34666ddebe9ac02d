"""Audio input and captioners: reading clips safely, describing them as text."""
