"""``python -m bot.cli``: the ``psm-bot`` command."""

from bot.cli import main

raise SystemExit(main())
