import sys

from bot.domain.impact import main

sys.exit(main())
