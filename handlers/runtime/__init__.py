"""The runtime every duty runs on, not a duty itself: the durable worker that takes due work,
the doorbell that wakes it, and the one retry policy with the failures it tells apart."""
