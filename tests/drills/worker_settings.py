"""Settings of the workers a drill starts: the test settings, with the drill's own MEDIA_ROOT.

Other test runs on this machine share `.test-media`; a drill that counts report files or reads
an uploaded import file must see only its own, in the test process and in its workers alike.
"""

import os
from pathlib import Path

from sme_pilot.settings.test import *  # noqa: F403

MEDIA_ROOT = Path(os.environ["DRILL_MEDIA_ROOT"])
