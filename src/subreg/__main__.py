from subreg.entry import main

raise SystemExit(main())
