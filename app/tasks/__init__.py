"""Verification tasks (核验任务): something to check on site, pushed to the grid worker whose grid
holds the place; they see it in the field app's inbox."""
