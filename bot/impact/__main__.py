import sys

from bot.impact import main

sys.exit(main())
