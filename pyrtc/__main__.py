import sys

from pyrtc.cli import main

sys.exit(main())
