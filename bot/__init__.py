"""golive: go live and meet on every platform at once, from chat."""

import warnings

from authlib.deprecate import AuthlibDeprecationWarning

# authlib announces the move of its httpx and jose modules at import time (and forces its own
# warnings to "always" when imported); golive pins a version where both work, and users of the
# CLI should not see library housekeeping. This filter goes in front of authlib's.
warnings.simplefilter("ignore", AuthlibDeprecationWarning)
