from subreg.cli import main

raise SystemExit(main())
