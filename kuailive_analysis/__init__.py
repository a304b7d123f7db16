"""kuailive_analysis: tested logic behind the KuaiLive analysis book.

Modules (one direction of flow): schema -> io -> clean -> cache -> dataset -> features ->
eda / retention / ltv / funnel / predict -> plots -> book / cli. See README.md.
"""

__version__ = "0.1.0"
