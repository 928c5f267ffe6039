"""`python -m local_runner`: see local_runner.main."""

from local_runner.main import main

raise SystemExit(main())
