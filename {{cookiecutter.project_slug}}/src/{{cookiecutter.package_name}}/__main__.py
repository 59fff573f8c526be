"""``python -m <package>`` runs the CLI."""

from .cli import main

raise SystemExit(main())
