import gc

from app import create_app

app = create_app()
# The loaded app is some 175,000 long-lived objects; freezing them keeps Python's full garbage
# collections (100+ ms pauses in the middle of requests) from walking them again and again.
gc.collect()
gc.freeze()
