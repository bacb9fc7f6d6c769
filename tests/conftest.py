"""Suite-wide settings: hypothesis profiles that suit a shared, noisy 2-core machine.

Timing deadlines are off everywhere (a loaded CI machine is not a failing test). Under CI
(``CI`` set) the search is derandomised so a landing run is reproducible; locally it explores.
"""

import os

from hypothesis import settings

settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
