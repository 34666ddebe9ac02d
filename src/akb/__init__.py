"""akb: how much auditory knowledge a language model learned from text alone.

The public API is small; everything else lives in private-ish modules by layer:
``core`` (config, cache, errors), ``models`` (backends), ``bench`` (items, taxonomy,
prompts, answer extraction), ``runs`` (the runner and the probe), ``analysis`` (metrics),
``cli`` (the ``akb`` command).
"""

from akb.bench.items import Item, Provenance, ReviewRecord
from akb.bench.loader import load_items
from akb.bench.taxonomy import Taxonomy, load_taxonomy
from akb.core.errors import AkbError, DataError

__version__ = "0.1.0"

__all__ = [
    "AkbError",
    "DataError",
    "Item",
    "Provenance",
    "ReviewRecord",
    "Taxonomy",
    "__version__",
    "load_items",
    "load_taxonomy",
]
