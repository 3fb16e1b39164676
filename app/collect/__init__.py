"""Field collection (采集): what officers and grid workers submit from the field app, with photos."""
