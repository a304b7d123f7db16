"""kuailive_analysis: tested logic behind the KuaiLive analysis book.

Layers (one direction of flow): core -> data (schema, the one reader, cache) -> engine (the
cleaning rules and the data model in SQL) -> dataset -> metrics -> chapter kit -> analyses ->
report / plots / export -> app. See README.md and tests/test_layers.py.
"""

__version__ = "0.1.0"
