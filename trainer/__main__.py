import sys

from trainer.cli import main
from trainer.memory import keep_freed_memory

keep_freed_memory()
sys.exit(main())
