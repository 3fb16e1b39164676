"""Pure functions for the codes and formats Yibiao checks or produces (no Flask, no database)."""
