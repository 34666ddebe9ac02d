"""Construction of AKB: procedural generators with computed keys, LLM-assisted drafting,
automatic checks, blind key review and release assembly."""
