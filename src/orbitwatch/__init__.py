"""orbitwatch: combined space-domain awareness.

A shared catalog fed by each partner, catalog-wide conjunction screening with
collision probabilities, detection of what actors do in orbit, and tracking
from partners' ground sites.  The core (``elements``, ``propagation``,
``screening``, ``collision``, ``behavior``, ``norms``, ``tracking``) is pure
computation; ``store``, ``service`` and ``cli`` sit around it.
"""

__version__ = "0.1.0"
