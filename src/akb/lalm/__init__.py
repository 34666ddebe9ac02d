"""DeSTA self-distillation: turn any causal LM into an audio LLM (DeSTA2.5-Audio's recipe).

- ``config``: model and training configs with the published defaults, published shapes
- ``data``: clip metadata, seed descriptions, instruction pool, distillation records
- ``params``: parameter counts without weights
- ``processor`` / ``model``: prompt layout, the Whisper -> Q-Former -> LLM model, save/load
- ``dataset`` / ``train``: resumable data order, accelerate training with exact resume
- ``asr`` / ``infer``: Whisper transcripts and batched answers (``generate_answers``)
- ``tiny``: tiny demonstration models built offline (the quickstart, the tests); not real models

Importing this package does not import torch; the submodules that need it do.
"""
