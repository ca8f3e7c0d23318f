"""What the seed's servers answer. The post fixes only the types
(prediction1: List[float], prediction2: Dict[str, int]); its own gRPC server
answered 100 random floats in [0, 1) and the map {"0": 0, ..., "99": 99},
which is the default here. SEED_ANSWER=variant (read at start-up) answers
what another server written from the post may: 37 floats of any sign and
size, and 10 entries named "class0".."class9" with any ints, so a client is
tested against the types, not against one server's sizes and values."""

import os
import random

VARIANT = os.environ.get("SEED_ANSWER", "post") == "variant"


def prediction():
    """(prediction1, prediction2) for one answer."""
    if VARIANT:
        scores = [random.gauss(0.0, 50.0) for _ in range(37)]
        labels = {f"class{i}": random.randint(-1000, 1000) for i in range(10)}
        return scores, labels
    return [random.random() for _ in range(100)], {str(i): i for i in range(100)}
