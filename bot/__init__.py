"""golive: go live and meet on every platform at once, from chat."""

import warnings

# authlib announces the move of its httpx and jose modules at import time; golive pins a
# version where both work, and users of the CLI should not see library housekeeping.
warnings.filterwarnings("ignore", message=r".*(httpx module is deprecated|authlib\.jose)")
